/** init: scaffold a new project from templates/. */
export { initProject, listTemplates, serviceNameFor, type InitResult } from './init-project.js';
