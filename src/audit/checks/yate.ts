// Yate checks, in catalogue order (reference §2.8).

import type { Check } from '../types.js'
import type { YateModel } from '../yate/model.js'
import { check as acc_relaxed } from './yate.acc.relaxed-match.js'
import { check as ext_tcp } from './yate.ext.tcp-listener.js'
import { check as ext_public } from './yate.ext.tcp-listener-public.js'
import { check as reg_auto } from './yate.reg.autocreate.js'
import { check as reg_empty } from './yate.reg.empty-password.js'
import { check as reg_nopw } from './yate.reg.no-password.js'
import { check as reg_weak } from './yate.reg.weak-password.js'
import { check as rm_nopw } from './yate.rm.no-password.js'
import { check as rm_notls } from './yate.rm.no-tls.js'
import { check as rm_public } from './yate.rm.public-bind.js'
import { check as rm_weak } from './yate.rm.weak-password.js'
import { check as rr_cid } from './yate.rr.callerid-not-forced.js'
import { check as rr_gate } from './yate.rr.no-auth-gate.js'
import { check as rr_external } from './yate.rr.untrusted-to-external.js'
import { check as sip_foreign } from './yate.sip.auth-foreign.js'
import { check as sip_message } from './yate.sip.message-noauth.js'
import { check as sip_reg } from './yate.sip.registrar-noauth.js'

export const yateChecks: readonly Check<YateModel>[] = [
  rm_nopw,
  rm_public,
  rm_weak,
  rm_notls,
  ext_public,
  ext_tcp,
  reg_empty,
  reg_nopw,
  reg_auto,
  reg_weak,
  sip_reg,
  sip_message,
  sip_foreign,
  rr_gate,
  rr_cid,
  rr_external,
  acc_relaxed,
]
