import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue } from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const BLOCKING: ImpactValue[] = ['serious', 'critical'];

interface Finding {
  id: string;
  impact: ImpactValue;
  help: string;
  nodes: string[];
}

/** WCAG 2.0 A/AA is the bar; WCAG 2.1 A/AA and axe's best practices are checked alongside. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/**
 * Runs axe-core on the page as it is now, prints every violation (and the checks axe could not
 * decide, to look at by hand) and expects none that is serious or critical (a soft expectation: the
 * scenario goes on to its next pages, the test still fails).
 */
export async function checkA11y(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ path: AXE_SCRIPT });
  // the page as it rests: entrance animations (a fade) finished, for up to 2 s
  await page.evaluate(async () => {
    const { document } = globalThis as unknown as {
      document: { getAnimations(): { finished: Promise<unknown> }[] };
    };
    const done = Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)));
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 2000))]);
  });
  const { violations, incomplete } = await page.evaluate(
    async (tags): Promise<{ violations: Finding[]; incomplete: Finding[] }> => {
      // the page's own globals (the test project has no DOM types)
      const { axe, document } = globalThis as unknown as {
        axe: { run(context: unknown, options: object): Promise<AxeResults> };
        document: unknown;
      };
      const results = await axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations', 'incomplete'],
      });
      const brief = (list: AxeResults['violations']): Finding[] =>
        list.map((v) => ({
          id: v.id,
          impact: v.impact ?? null,
          help: v.help,
          nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.html.slice(0, 160)}`),
        }));
      return { violations: brief(results.violations), incomplete: brief(results.incomplete) };
    },
    TAGS,
  );
  for (const f of violations) {
    console.info(`axe ${name}: [${f.impact}] ${f.id}: ${f.help}\n  ${f.nodes.join('\n  ')}`);
  }
  for (const f of incomplete) console.info(`axe ${name}: review ${f.id}:\n  ${f.nodes.join('\n  ')}`);
  const review = incomplete.map((f) => `${f.id} (${f.nodes.length})`).join(', ');
  const blocking = violations.filter((f) => BLOCKING.includes(f.impact));
  console.info(
    `axe ${name}: ${violations.length} violation(s), ${blocking.length} serious/critical` +
      (review ? `; to review by hand: ${review}` : ''),
  );
  expect
    .soft(
      blocking.map((f) => `${f.id} (${f.nodes.length})`),
      `serious/critical axe violations on ${name}`,
    )
    .toEqual([]);
}
