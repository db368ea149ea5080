/**
 * `${env:NAME}`, `${env:NAME, default}` and `${stage}` in nano.yml string values.
 * Runs before validation, so the schema checks the substituted values.
 */
import type { Problem } from '../errors.js';
import type { KeyPath, YamlSource } from './yaml-source.js';

export interface SubstitutionContext {
  env: Readonly<Record<string, string | undefined>>;
  stage: string;
  /** Where an unset variable is no problem (it becomes ""): values the command at hand never uses. */
  unsetAllowedAt?: (path: KeyPath) => boolean;
}

const EXPRESSION = /\$\{([^}]*)\}/g;
const ENV_REFERENCE = /^env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*(.*?)\s*)?$/;
const WHOLE_NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

export function substitute(source: YamlSource, context: SubstitutionContext): { value: unknown; problems: Problem[] } {
  const problems: Problem[] = [];

  const expand = (text: string, path: KeyPath): unknown => {
    let failed = false;
    const replaced = text.replace(EXPRESSION, (_whole, body: string) => {
      const expression = body.trim();
      if (expression === 'stage') return context.stage;
      const reference = ENV_REFERENCE.exec(expression);
      if (!reference) {
        failed = true;
        problems.push(
          source.problem(path, `unknown substitution "\${${expression}}"; expected \${env:NAME}, \${env:NAME, default} or \${stage}`),
        );
        return '';
      }
      const [, name = '', fallback] = reference;
      const found = context.env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      if (context.unsetAllowedAt?.(path)) return '';
      failed = true;
      problems.push(
        source.problem(path, `environment variable ${name} is not set; set it, or give a default with \${env:${name}, default}`),
      );
      return '';
    });
    if (failed || replaced === text) return replaced === text ? text : replaced;
    // `memory: ${env:PAGES, 2}` means the number 2, as it would had it been written out.
    const wholeExpression = /^\$\{[^}]*\}$/.test(text.trim());
    return wholeExpression && WHOLE_NUMBER.test(replaced) ? Number(replaced) : replaced;
  };

  const walk = (value: unknown, path: KeyPath): unknown => {
    if (typeof value === 'string') return value.includes('${') ? expand(value, path) : value;
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };

  return { value: walk(source.value, []), problems };
}
