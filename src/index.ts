// Public API. Named exports only.
export { ErrorCodes, PolicyError, SgwError } from './errors.js'
