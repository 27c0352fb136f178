// The fault matrix: every way a route, a worker, a config or a signal has been seen to crash,
// wedge or leak node-rtimer, each kept as a regression test. One module per part of the library.
import './faults/native.js';
import './faults/process.js';
import './faults/runtime.js';
import './faults/config.js';
import './faults/lifecycle.js';
import './faults/review.js';
import './faults/review-engine.js';
