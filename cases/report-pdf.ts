// The monthly report as PDF: the printable HTML page through headless Chromium
// (playwright-core with Debian's /usr/bin/chromium; fonts-noto-cjk for Chinese).

export const DEFAULT_CHROMIUM = process.env.TZ_CHROMIUM ?? '/usr/bin/chromium';

export async function htmlToPdf(html: string, executablePath: string = DEFAULT_CHROMIUM): Promise<Buffer> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
