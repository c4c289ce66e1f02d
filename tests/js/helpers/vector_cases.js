// Scaffolding shared by the suites that run QKeras's own test cases
// (../shared/qkeras/test_vectors.json): loading the cases of some kinds, one node:test per
// case with upstream's confidence rules, and the comparisons upstream makes.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { sharedPath } from './shared.js';

// Call only when hasShared (the suites skip with missingSharedMessage otherwise).
export function loadVectorCases(kinds) {
  const { cases } = JSON.parse(readFileSync(sharedPath('qkeras/test_vectors.json'), 'utf8'));
  return cases.filter((c) => kinds.includes(c.kind));
}

// Cases upstream disabled or never asserted: their outcome is reported, never fails the run.
export function isLowConfidence(c) {
  return c.disabled_upstream === true || c.asserted_upstream === false;
}

// Registers one test for case c: runCase(c) resolves to { ok, message } or { skip }; a throw
// counts as a failure with its message. Every outcome is pushed to `outcomes` for the summary.
export function vectorCaseTest(name, c, runCase, outcomes) {
  const lowConfidence = isLowConfidence(c);
  test(name, async (t) => {
    let result;
    try {
      result = await runCase(c);
    } catch (error) {
      result = { ok: false, message: `threw: ${error.message}` };
    }
    outcomes.push({ c, status: result.skip ? 'skipped' : result.ok ? 'pass' : 'fail', message: result.message ?? result.skip });
    if (result.skip) {
      t.skip(result.skip);
      return;
    }
    if (lowConfidence) {
      t.diagnostic(`low-confidence case (${c.disabled_upstream ? 'disabled upstream' : 'not asserted upstream'}): ${result.ok ? 'passes' : 'differs: ' + result.message}`);
      return;
    }
    assert.ok(result.ok, `${c.constructor}: ${result.message}`);
  });
}

// The tolerances of upstream's assert_allclose, and its float16 comparisons.
export function tolerances(c) {
  return { rtol: c.rtol ?? 1e-7, atol: c.atol ?? 0, float16: c.compare_dtype === 'float16' };
}

// Exact structural equality (shapes, counts); `what` prefixes the message when given.
export function sameJson(actual, expected, what) {
  const prefix = what ? `${what}: ` : '';
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? { ok: true }
    : { ok: false, message: `${prefix}got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}` };
}
