import * as Comlink from 'comlink';
import { liveService } from './live-service.ts';

Comlink.expose(liveService);
