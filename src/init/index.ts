/** init: scaffold a new project from templates/. */
export { initProject, listTemplates, serviceNameFor, PROJECT_SCHEMA_FILE, type InitOptions, type InitResult } from './init-project.js';
