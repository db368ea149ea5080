// A WAGI handler (CGI over WASI), as Spin's wagi executor runs it: the request
// arrives in environment variables and on stdin; the response leaves on stdout
// as header lines, a blank line, then the body. Every request gets a fresh
// instance, so top-level code runs once per request.
//
//   GET  /hello/ada           → {"greeting":"Hello, ada!"}
//   GET  /exec/hello?name=ada → the same, from the query
//   POST /hello  -d 'some'    → {"received":4}
//
// `process` is the WASI shim's (see asconfig.json): env, stdin, stdout, stderr.

/** The whole request body, read from stdin into one buffer of CONTENT_LENGTH bytes. */
function readBody(): Uint8Array {
  const body = new Uint8Array(I32.parseInt(env("CONTENT_LENGTH") || "0"));
  let length = 0;
  while (length < body.length) {
    const read = process.stdin.read(body.buffer, length);
    if (read <= 0) break;
    length += read;
  }
  return body.subarray(0, length);
}

function env(name: string): string {
  return process.env.has(name) ? process.env.get(name) : "";
}

/** `%XX` sequences decoded as UTF-8 bytes (and `+` as a space in a query); a malformed one stays as written. */
function percentDecode(text: string, plusIsSpace: bool): string {
  const raw = Uint8Array.wrap(String.UTF8.encode(text));
  const bytes = new Uint8Array(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    const high = i + 2 < raw.length ? hexValue(raw[i + 1]) : -1;
    const low = i + 2 < raw.length ? hexValue(raw[i + 2]) : -1;
    if (byte == 0x25 && high >= 0 && low >= 0) {
      bytes[length++] = <u8>((high << 4) | low);
      i += 2;
    } else {
      bytes[length++] = plusIsSpace && byte == 0x2b ? 0x20 : byte;
    }
  }
  return String.UTF8.decode(bytes.buffer.slice(0, length));
}

function hexValue(char: u8): i32 {
  if (char >= 0x30 && char <= 0x39) return char - 0x30;
  if (char >= 0x41 && char <= 0x46) return char - 0x37;
  if (char >= 0x61 && char <= 0x66) return char - 0x57;
  return -1;
}

/** `name` from `/hello/<name>`, else from `?name=<name>`, else "world". */
function nameOf(): string {
  const path = env("PATH_INFO");
  if (path.length > 1) return percentDecode(path.slice(1), false);
  const pairs = env("QUERY_STRING").split("&");
  for (let i = 0; i < pairs.length; i++) {
    if (pairs[i].startsWith("name=")) return percentDecode(pairs[i].slice(5), true);
  }
  return "world";
}

/** A JSON string literal: quotes, backslashes and control characters escaped. */
function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code == 0x22 || code == 0x5c) out += "\\" + String.fromCharCode(code);
    else if (code < 0x20) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += String.fromCharCode(code);
  }
  return out + '"';
}

function respond(status: string, json: string): void {
  process.stdout.write(`status: ${status}\ncontent-type: application/json\n\n${json}\n`);
}

const method = env("REQUEST_METHOD");
if (method == "GET") {
  respond("200", `{"greeting":${jsonString("Hello, " + nameOf() + "!")}}`);
} else if (method == "POST") {
  const body = readBody();
  process.stderr.write(`received ${body.length} bytes\n`); // stderr lines go to the function's logs
  respond("200", `{"received":${body.length}}`);
} else {
  respond("405 Method Not Allowed", `{"error":${jsonString(method + " is not supported; use GET or POST")}}`);
}
