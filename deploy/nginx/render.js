// Renders deploy/nginx/nano.conf.template as `envsubst '$NANO_LISTEN $NANO_UPSTREAMS'` would, and wraps it in an
// nginx.conf whose pid file, logs and temp folders all live in one folder: what the cluster tests
// (test/cluster/nginx.ts) and the scale-out bench (bench/lib/cluster.js) run nginx with. One copy for both,
// plain JavaScript so that the bench (no TypeScript loader) imports it as the tests do (types: render.d.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

export const TEMPLATE = fileURLToPath(new URL('./nano.conf.template', import.meta.url));

/** The template with its two placeholders filled in; nginx's own variables ($host, …) are left as they are. */
export function renderTemplate(listen, upstreams) {
  const values = { NANO_LISTEN: listen, NANO_UPSTREAMS: upstreams.join('\n    ') };
  // envsubst's two forms, ${NAME} and $NAME; any other name is left as it is.
  return readFileSync(TEMPLATE, 'utf8').replace(
    /\$\{(NANO_[A-Z_]+)\}|\$(NANO_[A-Z_]+)/g,
    (whole, braced, bare) => values[braced ?? bare] ?? whole,
  );
}

/** A whole nginx.conf, in the foreground, that includes `include` and writes nothing outside `dir`. */
export function selfContainedConf(dir, include) {
  return `# Rendered by deploy/nginx/render.js for one run.
daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
    access_log ${join(dir, 'access.log')};
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};
    include ${include};
}
`;
}
