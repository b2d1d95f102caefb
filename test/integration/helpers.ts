// Integration tests' helpers live in the testing room (`testing/index.ts`);
// this re-export keeps tests that import from here compiling. New code imports
// `testing/index.ts` directly.
export * from '../../testing/index.ts';
