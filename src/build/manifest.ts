/**
 * The build manifest: the versioned, serialized contract between `nano build`
 * and every later stage (dev, deploy, the runtime). Those stages read this file
 * and the artifacts beside it, never nano.yml.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Abi, Limits, Route } from '../config/types.js';
import { NanoError } from '../errors.js';

export type { Abi, HttpMethod, Limits, Route } from '../config/types.js';

export const MANIFEST_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

export type ValueType = 'i32' | 'i64' | 'f32' | 'f64';
export type ExternKind = 'function' | 'table' | 'memory' | 'global';

export interface Signature {
  params: ValueType[];
  results: ValueType[];
}

export interface ImportRef {
  module: string;
  name: string;
  kind: ExternKind;
}

export interface MemoryInfo {
  /** True when the module imports `platform.memory` instead of declaring its own. */
  imported: boolean;
  initialPages: number;
  /** The maximum after capping to the function's limit (never above it). */
  maximumPages: number;
}

export interface FunctionArtifact {
  name: string;
  /** File name of the artifact, relative to the manifest's folder. */
  artifact: string;
  sha256: string;
  size: number;
  /** Source path relative to the project folder, for messages. */
  source: string;
  /** Hash of everything the artifact depends on; equal hashes mean "up to date". */
  inputHash: string;
  entry: string;
  signature: Signature;
  imports: ImportRef[];
  memory: MemoryInfo | null;
  limits: Limits;
  routes: Route[];
  /** How the function is called; absent (older manifests) means `args`. */
  abi?: Abi;
  /** Environment variables of a `wagi` function (nano.yml's `env:`). */
  env?: Record<string, string>;
}

export interface BuildManifest {
  version: typeof MANIFEST_VERSION;
  service: string;
  stage: string;
  builtAt: string;
  functions: FunctionArtifact[];
}

/** Renders `sum(i32, i32) -> i32`, the form every argument error quotes. */
export function formatSignature(name: string, signature: Signature): string {
  const results = signature.results.length === 0 ? '' : ` -> ${signature.results.join(', ')}`;
  return `${name}(${signature.params.join(', ')})${results}`;
}

export async function readManifest(buildDir: string): Promise<BuildManifest> {
  const file = join(buildDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new NanoError('ManifestInvalid', `no build manifest at ${file}`, {
      value: file,
      hint: 'run `nano build` first',
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new NanoError('ManifestInvalid', `${file} is not valid JSON`, { value: file, hint: 'run `nano build` again', cause });
  }
  const manifest = parsed as Partial<BuildManifest>;
  if (manifest.version !== MANIFEST_VERSION || !Array.isArray(manifest.functions)) {
    throw new NanoError('ManifestInvalid', `${file} has manifest version ${String(manifest.version)}, expected ${MANIFEST_VERSION}`, {
      value: manifest.version,
      hint: 'run `nano build` again with this version of nano',
    });
  }
  return manifest as BuildManifest;
}
