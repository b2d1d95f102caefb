// A store contract that is "async-capable": a method answers a value or a
// Promise of it (`Maybe<T>`). A SQLite store answers synchronously, so code
// over it stays synchronous; a PostgreSQL store answers Promises. Code that
// must run on both is written once as a generator of steps
// (`yield* step(store.x())`) and driven by `runSteps`, which stays synchronous
// until a step is a Promise.

export type Maybe<T> = T | Promise<T>;
/** A unit of work over a store: each `yield* step(...)` is one store call. */
export type Steps<T> = Generator<unknown, T, unknown>;

/** One store call inside `Steps`: its answer, synchronous or awaited. */
export function* step<T>(value: Maybe<T>): Generator<unknown, T, unknown> {
  return (yield value) as T;
}

/** Runs steps synchronously while every answer is a value; from the first Promise on, asynchronously. */
export function runSteps<T>(steps: Steps<T>): Maybe<T> {
  let next = steps.next();
  while (!next.done) {
    const value = next.value;
    if (value instanceof Promise) return finishAsync(steps, value);
    next = steps.next(value);
  }
  return next.value;
}

async function finishAsync<T>(steps: Steps<T>, pending: Promise<unknown>): Promise<T> {
  let next: IteratorResult<unknown, T>;
  try {
    next = steps.next(await pending);
  } catch (err) {
    next = steps.throw(err);
  }
  while (!next.done) {
    try {
      next = steps.next(await next.value);
    } catch (err) {
      next = steps.throw(err);
    }
  }
  return next.value;
}

/** Calls `then` with a Maybe's value: at once when it is one, else when the Promise resolves. */
export function thenMaybe<T, R>(value: Maybe<T>, then: (v: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}
