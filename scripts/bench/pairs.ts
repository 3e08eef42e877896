/**
 * Alternating pairs: this VM's disk and CPU speed drift within seconds, so two
 * things are only compared within a pair run back to back, and each goes
 * first in every other pair.
 */

/** `nPairs` pairs `[a(), b()]`, with `a` run first in even pairs and `b` first in odd ones. */
export async function runAlternatePairs<A, B>(
  nPairs: number,
  a: () => A | Promise<A>,
  b: () => B | Promise<B>,
): Promise<Array<[A, B]>> {
  const pairs: Array<[A, B]> = [];
  for (let pair = 0; pair < nPairs; pair++) {
    if (pair % 2 === 0) {
      const first = await a();
      pairs.push([first, await b()]);
    } else {
      const second = await b();
      pairs.push([await a(), second]);
    }
  }
  return pairs;
}
