// Cold start: the first call to /exec/answer after its cacheTtl (1 s in examples/nano.yml) lapsed, vs a
// warm call right after it. Both on the same keep-alive connection, so neither pays a TCP connect.
import { median } from '../lib/stats.js';
import { sleep } from '../lib/http.js';

export const name = 'cold-start';
export const description = 'nano: first call after cacheTtl lapsed vs the warm call right after';

export async function run(ctx) {
  const { coldSamples, idleMs } = ctx.settings;
  const nano = await ctx.server('nano');
  const url = nano.url('/exec/answer');
  await ctx.prime(url, { n: 5 });

  const cold = [];
  const warm = [];
  let flaggedCold = 0;
  let flaggedWarm = 0;
  for (let i = 1; i <= coldSamples; i++) {
    await sleep(idleMs); // the point of the scenario: stay idle past cacheTtl
    const first = await ctx.request(url);
    const second = await ctx.request(url);
    for (const res of [first, second])
      if (res.status !== 200 || res.body.trim() !== '42')
        throw new Error(`cold-start: ${url} answered ${res.status} ${res.body.slice(0, 200)}`);
    if (first.headers['x-nano-cold-start'] === '1') flaggedCold++;
    if (second.headers['x-nano-cold-start'] === '0') flaggedWarm++;
    cold.push(first.ms);
    warm.push(second.ms);
    ctx.log(
      `sample ${i}/${coldSamples}: cold ${first.ms.toFixed(2)} ms (x-nano-cold-start: ${first.headers['x-nano-cold-start']}), warm ${second.ms.toFixed(2)} ms (${second.headers['x-nano-cold-start']})`,
    );
  }
  const ratios = cold.map((c, i) => c / warm[i]);
  return [
    { scenario: name, metric: `first call after ${idleMs} ms idle (cold)`, value: median(cold), unit: 'ms', rounds: cold },
    { scenario: name, metric: 'call right after (warm)', value: median(warm), unit: 'ms', rounds: warm },
    { scenario: name, metric: 'cold / warm', value: median(ratios), unit: '×', rounds: ratios },
    {
      scenario: name,
      metric: 'cold calls flagged x-nano-cold-start: 1',
      value: `${flaggedCold}/${coldSamples}`,
      target: { op: '==', value: `${coldSamples}/${coldSamples}` },
    },
    {
      scenario: name,
      metric: 'warm calls flagged x-nano-cold-start: 0',
      value: `${flaggedWarm}/${coldSamples}`,
      target: { op: '==', value: `${coldSamples}/${coldSamples}` },
    },
  ];
}
