// The dashboard's entry point: spawn the actors, bind the page, connect.

import { createRuntime } from './runtime.js';
import { ACTOR } from './names.js';
import { TransportActor, defaultSocketUrl } from './transport.js';
import { UIActor } from './ui.js';
import { ConnectionMonitorActor } from './connection-monitor.js';
import { CoordinatorProxyActor } from './coordinator-proxy.js';
import { WorkerProxyActor } from './worker-proxy.js';
import { EventLogActor } from './event-log.js';
import { ProcessTreeActor } from './process-tree.js';
import { TasksActor } from './tasks.js';
import { createDomView } from './dom-view.js';
import { ChartsActor } from './charts-actor.js';
import { createChartsView } from './charts.js';

const runtime = createRuntime();
const view = createDomView(document, runtime.send);

runtime.spawn(ACTOR.ui, new UIActor({ view }));
runtime.spawn(ACTOR.connectionMonitor, new ConnectionMonitorActor());
runtime.spawn(ACTOR.coordinatorProxy, new CoordinatorProxyActor());
runtime.spawn(ACTOR.workerProxy, new WorkerProxyActor());
runtime.spawn(ACTOR.eventLog, new EventLogActor());
runtime.spawn(ACTOR.processTree, new ProcessTreeActor());
runtime.spawn(ACTOR.tasks, new TasksActor());
runtime.spawn(ACTOR.charts, new ChartsActor({
  view: createChartsView(document) }));
runtime.spawn(ACTOR.transport, new TransportActor({
  WebSocket: globalThis.WebSocket,
  url: defaultSocketUrl(globalThis.location),
}));

for (const name of [ACTOR.ui, ACTOR.connectionMonitor, ACTOR.coordinatorProxy,
  ACTOR.eventLog, ACTOR.processTree, ACTOR.tasks, ACTOR.charts])
  runtime.send(name, { type: 'Start' });
runtime.send(ACTOR.transport, { type: 'Connect' });

// Back online: do not wait out the backoff.
globalThis.addEventListener('online', () =>
  runtime.send(ACTOR.transport, { type: 'ReconnectNow' }));
