// Host checks (`sipwarden audit --host`), the same five for each PBX with the PBX's id prefix.
import type { AsteriskModel } from '../asterisk/model.js'
import type { HostContext } from '../host/context.js'
import type { Check, Pbx } from '../types.js'
import { configWritable } from './host.files.config-writable.js'
import { ownedByRuntime } from './host.files.owned-by-runtime.js'
import { secretsReadable } from './host.files.secrets-readable.js'
import { mgmtPortPublic } from './host.mgmt-port-public.js'
import { runsAsRoot } from './host.runs-as-root.js'

export function hostChecks(pbx: Pbx, asterisk?: AsteriskModel): readonly Check<HostContext>[] {
  return [
    secretsReadable(pbx),
    configWritable(pbx),
    ownedByRuntime(pbx),
    runsAsRoot(pbx, asterisk),
    mgmtPortPublic(pbx),
  ]
}
