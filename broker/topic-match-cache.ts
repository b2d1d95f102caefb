// Topic matching once per topic, not once per message. mqemitter asks its
// qlobber trie for the subscribers of every message's topic (split into
// words, walked level by level: ~1.5 µs of the broker's CPU per message);
// a city's gateways publish to a bounded set of topics again and again, while
// subscriptions change rarely. So the emitter's matcher keeps each topic's
// answer until the next subscribe or unsubscribe (any change clears it all)
// or until MAX_TOPICS topics are kept (then it starts over).

const MAX_TOPICS = 10_000;

interface Matcher {
  match(topic: string): unknown;
  add(topic: string, value: unknown): unknown;
  remove(topic: string, value?: unknown): unknown;
  clear?(): unknown;
}

/** Wraps the qlobber matcher inside an mqemitter (its `_matcher`); an emitter without one is left as it is. */
export function cacheTopicMatches(emitter: unknown): void {
  const matcher = (emitter as { _matcher?: Matcher } | null)?._matcher;
  if (!matcher || typeof matcher.match !== 'function') return;
  const answers = new Map<string, unknown>();
  const match = matcher.match.bind(matcher);
  const add = matcher.add.bind(matcher);
  const remove = matcher.remove.bind(matcher);
  // The arrays handed out are never changed afterwards: mqemitter only reads them, and a change makes new ones.
  matcher.match = (topic) => {
    let answer = answers.get(topic);
    if (answer === undefined) {
      if (answers.size >= MAX_TOPICS) answers.clear();
      answer = match(topic);
      answers.set(topic, answer);
    }
    return answer;
  };
  matcher.add = (topic, value) => {
    answers.clear();
    return add(topic, value);
  };
  matcher.remove = (topic, value) => {
    answers.clear();
    return remove(topic, value);
  };
  if (typeof matcher.clear === 'function') {
    const clear = matcher.clear.bind(matcher);
    matcher.clear = () => {
      answers.clear();
      return clear();
    };
  }
}
