/** Types of render.js (plain JavaScript, imported by the TypeScript tests and the JavaScript bench). */
export declare const TEMPLATE: string;
export declare function renderTemplate(listen: string, upstreams: readonly string[]): string;
export declare function selfContainedConf(dir: string, include: string): string;
