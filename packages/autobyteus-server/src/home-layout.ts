import { join } from 'node:path';

/**
 * The folders of an autobyteus home (`$AUTOBYTEUS_HOME`), in one place:
 *
 *   engines/   installed engine versions and their manifest (see `engines/manifest/engine-layout.ts`)
 *   models/    pulled models and their registry (see `models/model-paths.ts`)
 *   run/       PID files of the managed engines this home runs (`<engine>-<port>.pid`)
 */
export interface HomeLayout {
  /** The home itself. */
  root: string;
  /** `<home>/engines` */
  engines: string;
  /** `<home>/models` */
  models: string;
  /** `<home>/run` */
  run: string;
}

/** The layout of the home at `home`. */
export function homeLayout(home: string): HomeLayout {
  return { root: home, engines: join(home, 'engines'), models: join(home, 'models'), run: join(home, 'run') };
}
