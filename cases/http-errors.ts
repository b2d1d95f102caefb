// The case APIs answer errors the way every service does (service-kit); this
// file only keeps the short names the case routes use.
export { installErrorHandler, parseRequest as parse } from '../service-kit/index.ts';
