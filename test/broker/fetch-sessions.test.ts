// Fetch sessions (src/broker/fetch-sessions.ts, KIP-227) on a ManualClock: the slot limit,
// eviction only of sessions idle at least EVICTION_MS, least-recently-used order, epochs, rotation.
import t from 'tap';
import { ManualClock } from '../../src/broker/clock.js';
import {
  EVICTION_MS, FINAL_EPOCH, FetchSession, FetchSessionCache, INITIAL_EPOCH, partitionKey, type SessionPartition,
} from '../../src/broker/fetch-sessions.js';

t.test('constants', async t => {
  t.equal(INITIAL_EPOCH, 0);
  t.equal(FINAL_EPOCH, -1);
  t.equal(EVICTION_MS, 120_000);
});

t.test('create up to the slot limit; a full cache with no idle session refuses', async t => {
  const clock = new ManualClock();
  const cache = new FetchSessionCache(3, clock);
  const sessions = [cache.create(true), cache.create(false), cache.create(true)];
  t.ok(sessions.every(s => s !== null));
  t.equal(cache.size, 3);
  const ids = sessions.map(s => s!.id);
  t.equal(new Set(ids).size, 3, 'distinct ids');
  for (const id of ids) t.ok(Number.isInteger(id) && id >= 1 && id <= 0x7fffffff, `id ${id} is a positive int32`);
  for (const s of sessions) {
    t.equal(cache.get(s!.id), s);
    t.equal(s!.epoch, 1, 'the next epoch a client sends is 1');
    t.equal(s!.lastUsed, clock.now());
    t.equal(s!.partitions.size, 0);
  }
  t.same(sessions.map(s => s!.usesTopicIds), [true, false, true]);
  t.equal(cache.create(true), null, 'full');
  clock.advance(EVICTION_MS - 1);
  t.equal(cache.create(true), null, 'still full one millisecond before the eviction time');
  t.equal(cache.size, 3);
  t.equal(cache.get(99), undefined);
});

t.test('eviction takes the least recently used session once idle for EVICTION_MS', async t => {
  const clock = new ManualClock(0);
  const cache = new FetchSessionCache(2, clock);
  const a = cache.create(true)!;
  clock.advance(10);
  const b = cache.create(true)!;
  clock.advance(EVICTION_MS - 10);
  // a has been idle exactly EVICTION_MS: it goes
  const c = cache.create(true)!;
  t.ok(c, 'room made');
  t.equal(cache.get(a.id), undefined, 'a evicted');
  t.equal(cache.get(b.id), b, 'b kept');
  t.equal(cache.size, 2);
  // b is now idle EVICTION_MS - 10 + 0: not yet
  t.equal(cache.create(true), null);
  clock.advance(10);
  const d = cache.create(false)!;
  t.ok(d);
  t.equal(cache.get(b.id), undefined, 'b evicted');
  t.equal(cache.get(c.id), c);
  t.equal(cache.get(d.id), d);
});

t.test('touch marks a session used and moves it to the back of the eviction order', async t => {
  const clock = new ManualClock(1000);
  const cache = new FetchSessionCache(2, clock);
  const a = cache.create(true)!;
  const b = cache.create(true)!;
  clock.advance(EVICTION_MS);
  cache.touch(a);
  t.equal(a.lastUsed, 1000 + EVICTION_MS);
  // both were created at 1000; a was just touched, so b is the oldest and idle long enough
  const c = cache.create(true)!;
  t.ok(c);
  t.equal(cache.get(b.id), undefined, 'b (least recently used) evicted');
  t.equal(cache.get(a.id), a, 'the touched session stays');
  // a is older than c by use order, but not idle long enough: refused rather than evicting c
  clock.advance(EVICTION_MS - 1);
  t.equal(cache.create(true), null);
  cache.touch(c); // a stays first in LRU order, idle EVICTION_MS - 1
  clock.advance(1);
  const d = cache.create(true)!;
  t.ok(d);
  t.equal(cache.get(a.id), undefined);
  t.equal(cache.get(c.id), c);

  // LRU order is by touch, not by creation: a session idle long but touched last is not taken
  const clock2 = new ManualClock(0);
  const small = new FetchSessionCache(2, clock2);
  const x = small.create(true)!;
  clock2.advance(1);
  const y = small.create(true)!;
  clock2.advance(1);
  small.touch(x);
  clock2.advance(EVICTION_MS);
  small.create(true);
  t.equal(small.get(y.id), undefined, 'y, touched least recently, goes first');
  t.equal(small.get(x.id), x);
});

t.test('remove, and a cache with no slots', async t => {
  const clock = new ManualClock();
  const cache = new FetchSessionCache(1, clock);
  const a = cache.create(true)!;
  t.equal(cache.remove(a.id), true);
  t.equal(cache.remove(a.id), false, 'already gone');
  t.equal(cache.size, 0);
  t.ok(cache.create(true), 'the slot is free again without waiting');

  const none = new FetchSessionCache(0, clock);
  t.equal(none.create(true), null, 'max.incremental.fetch.session.cache.slots=0');
  clock.advance(EVICTION_MS * 10);
  t.equal(none.create(true), null);
  t.equal(none.size, 0);
});

t.test('epochs advance and wrap from 0x7fffffff to 1, never 0', async t => {
  const s = new FetchSession(5, true, 0);
  t.equal(s.epoch, 1);
  s.advanceEpoch();
  t.equal(s.epoch, 2);
  s.epoch = 0x7ffffffe;
  s.advanceEpoch();
  t.equal(s.epoch, 0x7fffffff);
  s.advanceEpoch();
  t.equal(s.epoch, 1, 'wraps to 1, skipping 0 (INITIAL_EPOCH) and negatives');
});

t.test('partition keys and rotation', async t => {
  const part = (topic: string, topicId: string, partitionIndex: number): SessionPartition => ({
    topic, topicId, partitionIndex, fetchOffset: 0, maxBytes: 1024, currentLeaderEpoch: -1, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0,
  });
  const byId = new FetchSession(1, true, 0);
  const byName = new FetchSession(2, false, 0);
  const p = part('orders', 'ID-1', 3);
  t.equal(byId.key(p), partitionKey('ID-1', 3));
  t.equal(byName.key(p), partitionKey('orders', 3));
  t.not(partitionKey('a', 12), partitionKey('a1', 2), 'no ambiguity between name and index');

  const s = new FetchSession(3, false, 0);
  for (const [name, i] of [['a', 0], ['a', 1], ['b', 0]] as const) s.partitions.set(s.key(part(name, '', i)), part(name, '', i));
  const order = () => [...s.partitions.values()].map(x => `${x.topic}-${x.partitionIndex}`);
  t.same(order(), ['a-0', 'a-1', 'b-0']);
  s.rotate(partitionKey('a', 0));
  t.same(order(), ['a-1', 'b-0', 'a-0'], 'moved to the back');
  s.rotate(partitionKey('a', 0));
  t.same(order(), ['a-1', 'b-0', 'a-0'], 'already at the back');
  s.rotate(partitionKey('zzz', 0));
  t.same(order(), ['a-1', 'b-0', 'a-0'], 'an unknown key changes nothing');
  t.equal(s.partitions.size, 3);
});
