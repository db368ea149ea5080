// Small helpers to build the page: elements from a tag, attributes and children (text is always text,
// never parsed as HTML), and how figures read.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'className') element.className = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function ms(value) {
  if (value === null || value === undefined) return '–';
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 10) return `${value.toFixed(1)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

export function rate(value) {
  if (!value) return '0';
  return value < 10 ? value.toFixed(2) : value.toFixed(0);
}

export function duration(msValue) {
  if (msValue % 60000 === 0 && msValue >= 60000) return `${msValue / 60000}m`;
  if (msValue % 1000 === 0 && msValue >= 1000) return `${msValue / 1000}s`;
  return `${msValue}ms`;
}

export function limitsText(limits) {
  const parts = [`${limits.memoryPages} page${limits.memoryPages === 1 ? '' : 's'}`, `timeout ${duration(limits.timeoutMs)}`];
  if (limits.concurrency !== null) parts.push(`concurrency ${limits.concurrency}`);
  return parts.join(', ');
}

export function routesText(routes) {
  return routes.length === 0 ? '–' : routes.map((route) => `${route.method} ${route.path}`).join(', ');
}

/** `functions/sum.wat:3:5` */
export function where(problem) {
  let text = problem.file;
  if (problem.line !== undefined) text += `:${problem.line}`;
  if (problem.column !== undefined) text += `:${problem.column}`;
  return text;
}
