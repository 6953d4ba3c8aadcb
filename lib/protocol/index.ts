export * from './constants.js';
export * from './messages.js';
export * from './codec.js';
export * from './line-splitter.js';
