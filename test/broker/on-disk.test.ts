// The wire-level broker tests again, with every broker keeping its data on disk: the disk
// engine must answer exactly as the memory engine does. (Teardowns run in reverse order, so
// each broker closes before its temporary directory is removed.)
process.env.SAMSA_TEST_STORAGE = 'disk';
await import('./produce.test.js');
await import('./fetch.test.js');
await import('./list-offsets.test.js');
await import('./topics.test.js');
await import('./metadata.test.js');
await import('./delete-records.test.js');
await import('./compaction.test.js');
