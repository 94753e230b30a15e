// The dashboard's actors and the server addresses they talk to, in one place.

import { ADDRESSES } from './catalogue.js';

export const ACTOR = Object.freeze({
  ui: 'ui',                                 /* renders; gets SessionEstablished */
  transport: 'transport',                   /* the WebSocket */
  connectionMonitor: 'connection-monitor',  /* connection state and countdown */
  coordinatorProxy: 'coordinator-proxy',    /* coordinator:main */
  workerProxy: 'worker-proxy',              /* worker:<id>(@<host>) */
  eventLog: 'event-log',                    /* eventlog:main */
  processTree: 'process-tree',              /* system:supervisor(@<host>) */
  tasks: 'tasks',                           /* the tasks view: coordinator:main */
  charts: 'charts',                         /* coordinator:main, charted */
});

export const ADDRESS = Object.freeze({
  coordinator: ADDRESSES.coordinator,
  eventlog: ADDRESSES.eventlog,
  supervisor: ADDRESSES.supervisor,
  /* in a cluster, the worker's host (this one's name is understood too) */
  worker: (workerId, host = null) => (host === null ? `worker:${workerId}` :
    `worker:${workerId}@${host}`),
});
