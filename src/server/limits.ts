/**
 * The platform's default size limits, in a file of their own so that the CLI
 * can print them in `--help` without loading the server.
 */

/** Largest request body a wagi function accepts (`--max-body-size`); beyond it, 413. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Largest artifact a deploy may upload (`--max-artifact-size`); beyond it, 413. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 8 * 1024 * 1024;
