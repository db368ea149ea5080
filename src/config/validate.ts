/**
 * Validates nano.yml against schema/nano.schema.json — the single source of truth
 * for its shape — and turns ajv's errors into located, human sentences.
 *
 * Ajv reports every failed branch of an `anyOf`; a user wants the one branch they
 * evidently meant (the one whose type matched), phrased by the schema's own
 * `x-expected` text. That choice is the bulk of this file.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Problem } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import type { KeyPath, YamlSource } from './yaml-source.js';

const SCHEMA_URL = new URL('../../schema/nano.schema.json', import.meta.url);

const SCHEMA_ID = 'nano';

let state: { ajv: Ajv; schema: SchemaNode; validate: ValidateFunction; branches: WeakMap<SchemaNode, ValidateFunction> } | undefined;

function load(): NonNullable<typeof state> {
  if (!state) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode;
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    // Our annotation: the phrase that completes "expected ..." in error messages.
    ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
    ajv.addSchema(schema, SCHEMA_ID);
    const validate = ajv.getSchema(SCHEMA_ID);
    if (!validate) throw new Error('nano.schema.json failed to compile');
    state = { ajv, schema, validate, branches: new WeakMap() };
  }
  return state;
}

function rootSchema(): SchemaNode {
  return load().schema;
}

/** Refs inside a branch are relative to the root schema; point them at it by id. */
function anchorRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(anchorRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#') ? [key, `${SCHEMA_ID}${value}`] : [key, anchorRefs(value)],
    ),
  );
}

function branchValidator(branch: SchemaNode): ValidateFunction {
  const { ajv, branches } = load();
  let validate = branches.get(branch);
  if (!validate) {
    validate = ajv.compile(anchorRefs(branch) as SchemaNode);
    branches.set(branch, validate);
  }
  return validate;
}

export function nanoSchemaPath(): URL {
  return SCHEMA_URL;
}

type SchemaNode = Record<string, unknown> & { 'x-expected'?: string; properties?: Record<string, unknown>; $ref?: string };

function toKeyPath(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function pathFromSegments(segments: string[], value: unknown): KeyPath {
  // Array indices become numbers so that the source locator walks sequences.
  const path: (string | number)[] = [];
  let cursor: unknown = value;
  for (const segment of segments) {
    if (Array.isArray(cursor)) {
      path.push(Number(segment));
      cursor = cursor[Number(segment)];
    } else {
      path.push(segment);
      cursor = cursor !== null && typeof cursor === 'object' ? (cursor as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

/** An ajv error placed in the whole document, with the phrase that explains it. */
interface Explained {
  error: ErrorObject;
  instancePath: string;
  expected: string | undefined;
}

const under = (path: string, parent: string) => path === parent || path.startsWith(`${parent}/`);

function jsonTypeMatches(type: string, data: unknown): boolean {
  switch (type) {
    case 'integer':
    case 'number':
      return typeof data === 'number';
    case 'array':
      return Array.isArray(data);
    case 'object':
      return data !== null && typeof data === 'object' && !Array.isArray(data);
    case 'null':
      return data === null;
    default:
      return typeof data === type;
  }
}

function resolveRef(node: SchemaNode): SchemaNode {
  let current = node;
  for (let depth = 0; typeof current.$ref === 'string' && depth < 10; depth++) {
    const pointer = current.$ref.replace(/^#\//, '').split('/');
    current = pointer.reduce<SchemaNode>((at, key) => (at[key] ?? {}) as SchemaNode, rootSchema());
  }
  return current;
}

/** A branch "fits" when its type accepts the data: the user evidently meant that branch. */
function branchFits(branch: SchemaNode, data: unknown): boolean {
  const resolved = resolveRef(branch);
  const type = resolved.type;
  if (typeof type === 'string') return jsonTypeMatches(type, data);
  if (Array.isArray(type)) return type.some((t) => jsonTypeMatches(String(t), data));
  return true;
}

/**
 * Ajv reports every failed branch of an `anyOf` followed by the anyOf itself; a
 * user wants to hear about the one branch they evidently meant (the only one
 * whose type fits), so that branch is validated again on its own and explained;
 * when no single branch fits, the anyOf's own `x-expected` phrase speaks for all.
 */
function explain(errors: readonly ErrorObject[], prefix: string, fallback: string | undefined): Explained[] {
  const consumed = new Set<number>();
  const explained: Explained[] = [];
  errors.forEach((error, index) => {
    if (error.keyword !== 'anyOf') return;
    consumed.add(index);
    // Ajv appends a branch's errors just before the anyOf error, all under its instance path.
    for (
      let before = index - 1;
      before >= 0 && !consumed.has(before) && under(errors[before]!.instancePath, error.instancePath);
      before--
    ) {
      consumed.add(before);
    }
    const own = (error.parentSchema as SchemaNode | undefined)?.['x-expected'];
    const expected = own ?? (error.instancePath === '' ? fallback : undefined);
    const fitting = (error.schema as SchemaNode[]).filter((branch) => branchFits(branch, error.data)).map((branch) => ({ branch }));
    const chosen = fitting.length === 1 ? fitting[0]!.branch : undefined;
    if (chosen) {
      const validateBranch = branchValidator(chosen);
      validateBranch(error.data);
      explained.push(...explain(validateBranch.errors ?? [], prefix + error.instancePath, expected));
    } else {
      explained.push({ error, instancePath: prefix + error.instancePath, expected });
    }
  });
  errors.forEach((error, index) => {
    if (consumed.has(index)) return;
    const own = (error.parentSchema as SchemaNode | undefined)?.['x-expected'];
    explained.push({
      error,
      instancePath: prefix + error.instancePath,
      expected: own ?? (error.instancePath === '' ? fallback : undefined),
    });
  });
  return explained;
}

const YAML_TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
};

function toProblem({ error, instancePath, expected }: Explained, source: YamlSource, root: unknown): Problem {
  const segments = toKeyPath(instancePath);
  const params = error.params as Record<string, unknown>;

  if (error.keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const allowed = Object.keys((error.parentSchema as SchemaNode).properties ?? {});
    const suggestion = didYouMean(key, allowed);
    const message = suggestion
      ? `unknown key "${key}", did you mean "${suggestion}"?`
      : `unknown key "${key}"; expected one of: ${allowed.join(', ')}`;
    return source.problem(pathFromSegments([...segments, key], root), message, 'key');
  }
  if (error.keyword === 'required') {
    const key = String(params.missingProperty);
    const where = pathFromSegments(segments, root);
    if (where.length === 0) return { ...source.problem([], ''), path: key, message: 'missing required key' };
    return source.problem(where, `missing required key "${key}"`, 'key');
  }
  if (error.propertyName !== undefined) {
    // propertyNames: the offending thing is the key itself.
    const key = error.propertyName;
    return source.problem(pathFromSegments([...segments, key], root), `expected ${expected ?? 'a valid name'}, got "${key}"`, 'key');
  }
  // Without an `x-expected` phrase, say the type in YAML's words rather than ajv's "must be object".
  const typeName = error.keyword === 'type' ? YAML_TYPE_NAMES[String(params.type)] : undefined;
  const message = expected ? `expected ${expected}` : typeName ? `expected ${typeName}` : (error.message ?? 'invalid value');
  return source.problem(pathFromSegments(segments, root), `${message}, got ${describe(error.data)}`);
}

/** Every schema problem in the document. */
export function validateAgainstSchema(value: unknown, source: YamlSource): Problem[] {
  const { validate } = load();
  if (validate(value)) return [];
  // propertyNames reports once for the name and once for the enclosing object; keep the name.
  const errors = (validate.errors ?? []).filter((error) => error.keyword !== 'propertyNames');
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const explained of explain(errors, '', undefined)) {
    const problem = toProblem(explained, source, value);
    const key = `${problem.line}:${problem.column}:${problem.path}:${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}
