// Imported first by the 'intl' part: the formatjs polyfills below add their
// constructors to an Intl object that must already exist (the engine has
// none).
globalThis.Intl = {};
