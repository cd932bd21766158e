/**
 * The spin phase of ring waits: the `spin` option on all four waits, the
 * adaptive budget's rules (kept at 20 µs while spins pay off, 0 after one
 * that ran out of budget, probing again after short waits, never on
 * one CPU), and a real 1-CPU affinity mask (`taskset -c 0`) turning it off.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { RingBuffer } from "../mod.ts";
import { canSpin, MAX_SPIN_US, SpinBudget, spinFor } from "../src/ring/spin.ts";
import { ROOT, runDeno } from "./support/run.ts";
import { otherSide, sleepers } from "./support/ring.ts";

const PAGE = 4096;

test("spin is checked on all four waits: a whole number of µs up to 1 000 000", async () => {
  using ring = RingBuffer.create(PAGE);
  ring.write(new Uint8Array(10));
  const asyncWaits = [
    (o: object) => ring.waitReadable(o),
    (o: object) => ring.waitWritable(o),
  ];
  const syncWaits = [
    (o: object) => ring.waitReadableSync(o),
    (o: object) => ring.waitWritableSync(o),
  ];
  for (const spin of [-1, 1.5, 1_000_001, NaN, Infinity]) {
    for (const wait of asyncWaits) {
      await assertRejects(() => wait({ spin }), RangeError);
    }
    for (const wait of syncWaits) {
      assertThrows(() => wait({ spin }), RangeError);
    }
  }
  for (const wait of asyncWaits) {
    await assertRejects(() => wait({ spin: "5" }), TypeError, "spin");
    const e = await assertRejects(() => wait({ spinUs: 5 }), TypeError);
    assertStringIncludes(e.message, "did you mean 'spin'?");
  }
  for (const wait of syncWaits) {
    assertThrows(() => wait({ spin: "5" }), TypeError, "spin");
    const e = assertThrows(() => wait({ spinUs: 5 }), TypeError);
    assertStringIncludes(e.message, "did you mean 'spin'?");
  }
  // Nothing changed, and good values work.
  assertEquals(ring.available, 10);
  for (const spin of [0, 1, 1_000_000]) {
    assertEquals(await ring.waitReadable({ spin }), 10);
    assertEquals(await ring.waitWritable({ spin, timeout: 5 }), PAGE - 10);
    assertEquals(ring.waitReadableSync({ spin }), 10);
    assertEquals(ring.waitWritableSync({ spin, timeout: 5 }), PAGE - 10);
  }
  assertEquals(sleepers(ring), [0, 0]);
});

test("a wait with spin 0 sleeps at once and is woken; so is one that spun first (500 µs, or the adaptive budget)", async () => {
  using producer = RingBuffer.create(PAGE);
  using consumer = otherSide(producer);
  for (const spin of [0, 500, undefined]) {
    const waiting = consumer.waitReadable(
      spin === undefined ? undefined : { spin },
    );
    // A macrotask later the waiter has spun (this thread could not commit
    // meanwhile) and sleeps on the futex: the commit must wake it.
    await new Promise((done) => setTimeout(done, 0));
    producer.write(new Uint8Array(3));
    assertEquals(await waiting, 3, `spin ${spin}`);
    consumer.consume(3);
  }
  const timedOut = await assertRejects(
    () => consumer.waitReadable({ spin: 100, timeout: 1 }),
    DOMException,
  );
  assertEquals(timedOut.name, "TimeoutError");
  const syncTimeout = assertThrows(
    () => consumer.waitReadableSync({ spin: 100, timeout: 1 }),
    DOMException,
  );
  assertEquals(syncTimeout.name, "TimeoutError");
  assertEquals(sleepers(producer), [0, 0]);
});

test("the adaptive budget: 20 µs while spins pay off, 0 after one that fails, probing again after 2, 4, … 1024 waits", () => {
  const b = new SpinBudget(true);
  assertEquals(b.us, MAX_SPIN_US);
  assertEquals(b.next(undefined), MAX_SPIN_US);
  assertEquals(b.next(0), 0, "an explicit spin wins");
  b.spun(3); // a fast answer
  assertEquals(b.us, MAX_SPIN_US);
  b.spun(15); // answered late in the budget: the peer was waking up
  assertEquals(b.us, MAX_SPIN_US);
  b.failed(); // the budget ran out
  assertEquals(b.us, 0);
  b.slept(); // 1 of the 2 waits before a probe
  assertEquals(b.us, 0);
  b.slept();
  assertEquals(b.us, MAX_SPIN_US, "probing again");
  b.failed(); // the probe failed: 4 waits now
  for (let i = 0; i < 3; i++) {
    b.slept();
    assertEquals(b.us, 0);
  }
  b.slept();
  assertEquals(b.us, MAX_SPIN_US);
  b.spun(2); // success resets the back-off
  b.failed();
  b.slept();
  b.slept();
  assertEquals(b.us, MAX_SPIN_US);
  // Many failures: at most 1024 waits between probes.
  const slow = new SpinBudget(true);
  for (let i = 0; i < 20; i++) {
    slow.failed();
    let waits = 0;
    while (slow.us === 0) {
      slow.slept();
      waits++;
    }
    assertEquals(waits, Math.min(1024, 2 ** Math.min(i + 1, 10)));
  }
  const oneCpu = new SpinBudget(false);
  oneCpu.spun(1);
  oneCpu.slept();
  oneCpu.failed();
  assertEquals([oneCpu.us, oneCpu.next(undefined), oneCpu.next(7)], [0, 0, 7]);
});

test("spinFor: -1 at once for 0 µs, about the time it took once the check is true", () => {
  let calls = 0;
  assertEquals(spinFor(0, () => ++calls > 0), -1);
  assertEquals(calls, 0);
  const took = spinFor(1_000_000, () => ++calls >= 3);
  assertEquals(calls, 3);
  assert(took >= 0 && took < 1_000_000, `${took}`);
  assertEquals(spinFor(1, () => false), -1);
});

test("a process pinned to one CPU (taskset -c 0) never spins by default", async () => {
  const code = `
    import { canSpin, SpinBudget } from "${ROOT}src/ring/spin.ts";
    console.log(JSON.stringify([navigator.hardwareConcurrency, canSpin(), new SpinBudget().us]));
  `;
  const pinned = await runDeno(code, ["--allow-read"], [], {
    prefix: ["taskset", "-c", "0"],
  });
  assertEquals(pinned.code, 0, pinned.stderr);
  assertEquals(JSON.parse(pinned.stdout), [1, false, 0]);
  if (navigator.hardwareConcurrency > 1) {
    assert(canSpin());
    assertEquals(new SpinBudget().us, MAX_SPIN_US);
  }
});
