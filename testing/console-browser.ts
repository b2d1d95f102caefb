import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AccessTokens } from '../service-kit/index.ts';

// The ops console's browser tests share how they get a signed-in page:
// Debian's Chromium, headless, launched by playwright-core; one token per
// role for the same four people; the sign-in form filled as a person would.

/** The people the console tests sign in as (names the tests look for on the page and in audit lines). */
export const CONSOLE_PEOPLE = {
  operator: { name: 'olga', role: 'operator' },
  dispatcher: { name: 'dora', role: 'dispatcher' },
  crew: { name: 'wang-phone', role: 'crew', crewId: 'crew-a' },
  inspector: { name: 'li-inspector', role: 'inspector' },
} as const;

export type ConsolePerson = keyof typeof CONSOLE_PEOPLE;

/** Issues a token to each of `CONSOLE_PEOPLE` (or to the roles named) and answers role → token. */
export async function issueConsoleTokens<R extends ConsolePerson = ConsolePerson>(access: AccessTokens, roles?: readonly R[]): Promise<Record<R, string>> {
  const wanted = roles ?? (Object.keys(CONSOLE_PEOPLE) as R[]);
  const tokens = {} as Record<R, string>;
  for (const role of wanted) tokens[role] = (await access.issue({ ...CONSOLE_PEOPLE[role] })).token;
  return tokens;
}

/** Headless Chromium from the Debian package (/usr/bin/chromium), quiet: no sync, updates or background traffic. */
export async function launchConsoleBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ConsolePageOptions {
  viewport?: { width: number; height: number };
  /** The console's own language choice (not the browser's locale decides); zh-CN, the default, needs no setting. */
  lang?: 'zh-CN' | 'en';
  /** The browser's locale. */
  locale?: string;
  serviceWorkers?: 'allow' | 'block';
  /** A phone: touch and mobile viewport. */
  isMobile?: boolean;
  timezoneId?: string;
  timeoutMs?: number;
}

/** A page in a context of its own (closed with the context or the browser); page errors go to the test's output. */
export async function openConsolePage(browser: Browser, o: ConsolePageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: o.viewport ?? { width: 1366, height: 900 },
    // No service worker unless asked, so page.route sees every request.
    serviceWorkers: o.serviceWorkers ?? 'block',
    isMobile: o.isMobile ?? false,
    hasTouch: o.isMobile ?? false,
    ...(o.locale ? { locale: o.locale } : {}),
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}),
  });
  if (o.lang === 'en') await context.addInitScript(() => localStorage.setItem('tz-console-lang', 'en'));
  const page = await context.newPage();
  page.setDefaultTimeout(o.timeoutMs ?? 10_000);
  page.on('pageerror', (err) => console.error('page error:', err.message));
  return { context, page };
}

export interface SignInOptions {
  /** Open the sign-in page of the console served here first (else: sign in on the page as it is). */
  serviceUrl?: string;
  /** What shows the sign-in worked: the name in the header (`#who`), the role's landing route ('#/map'), or a selector. */
  until: { who: string } | { landing: string } | { selector: string };
}

/** Signs out whoever is signed in, types the token into the sign-in form and waits until the console shows the person in. */
export async function signInToConsole(page: Page, token: string, o: SignInOptions): Promise<void> {
  if (o.serviceUrl) await page.goto(`${o.serviceUrl}/console/#/signin`);
  if (await page.locator('#sign-out').isVisible()) await page.click('#sign-out');
  await page.waitForSelector('#token');
  await page.fill('#token', token);
  await page.click('#sign-in');
  if ('who' in o.until) await page.waitForSelector(`#who:has-text(${JSON.stringify(o.until.who)})`);
  else if ('landing' in o.until) await page.waitForURL(`**/console/${o.until.landing}`);
  else await page.waitForSelector(o.until.selector);
}
