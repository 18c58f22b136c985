// AMI facts shared by the ast.ami.* checks (manager.conf.sample; main/manager.c binds [::] when
// enabled and bindaddr is unset).
import type { AsteriskModel } from '../asterisk/model.js'
import { type AstCategory, type AstVar, get, isTrue } from '../asterisk/reader.js'
import { isBroadBind } from './util.js'

export interface AmiFacts {
  readonly enabled: boolean
  readonly general?: AstCategory
  readonly bind?: AstVar
  readonly publicBind: boolean
  readonly users: AstCategory[]
}

export function ami(m: AsteriskModel): AmiFacts {
  const cfg = m.conf('manager.conf')
  const general = cfg.sections('general')[0]
  const enabled = isTrue(get(general, 'enabled')?.value)
  const bind = get(general, 'bindaddr')
  return {
    enabled,
    general,
    bind,
    publicBind: enabled && isBroadBind(bind?.value),
    users: cfg.sections().filter((c) => c.name !== 'general'),
  }
}
