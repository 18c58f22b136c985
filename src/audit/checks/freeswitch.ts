// FreeSWITCH checks, in catalogue order (reference §2.7).
import type { FreeswitchModel } from '../freeswitch/model.js'
import type { Check } from '../types.js'
import { check as acl_default } from './fs.acl.default-allow.js'
import { check as dir_cidr } from './fs.dir.cidr-auth-broad.js'
import { check as dir_empty } from './fs.dir.empty-password.js'
import { check as dir_vm } from './fs.dir.vm-password-trivial.js'
import { check as dir_weak } from './fs.dir.weak-password.js'
import { check as dp_bridge } from './fs.dp.bridge-no-toll-check.js'
import { check as dp_cid } from './fs.dp.callerid-from-input.js'
import { check as dp_eavesdrop } from './fs.dp.eavesdrop-open.js'
import { check as dp_public } from './fs.dp.public-to-default.js'
import { check as dp_system } from './fs.dp.system-injection.js'
import { check as esl_acl } from './fs.esl.acl-permissive.js'
import { check as esl_pw } from './fs.esl.default-password.js'
import { check as core_loglevel } from './fs.core.loglevel-debug.js'
import { check as esl_listen } from './fs.esl.listen-all.js'
import { check as pre_comment } from './fs.pre.commented-active.js'
import { check as pre_exec } from './fs.pre.exec.js'
import { check as sofia_auth } from './fs.sofia.auth-calls-off.js'
import { check as sofia_bauth } from './fs.sofia.blind-auth.js'
import { check as sofia_breg } from './fs.sofia.blind-reg.js'
import { check as sofia_inacl } from './fs.sofia.inbound-acl-permissive.js'
import { check as sofia_log } from './fs.sofia.no-auth-failure-log.js'
import { check as sofia_proxy } from './fs.sofia.proxy-acl.js'
import { check as sofia_regname } from './fs.sofia.reg-username-mismatch.js'
import { check as sofia_tls } from './fs.sofia.tls-legacy.js'
import { check as vars_pw } from './fs.vars.default-password.js'
import { check as verto } from './fs.verto.blind-reg.js'
import { check as vm_callback } from './fs.vm.callback-context.js'
import { check as vm_empty } from './fs.vm.empty-pin.js'
import { check as vm_skip } from './fs.vm.pin-skip.js'
import { check as xmlrpc } from './fs.xmlrpc.default-creds.js'

export const freeswitchChecks: readonly Check<FreeswitchModel>[] = [
  vars_pw,
  dir_empty,
  dir_weak,
  dir_vm,
  dir_cidr,
  esl_pw,
  core_loglevel,
  esl_listen,
  esl_acl,
  acl_default,
  sofia_auth,
  sofia_breg,
  sofia_bauth,
  sofia_inacl,
  sofia_proxy,
  sofia_regname,
  sofia_log,
  sofia_tls,
  dp_public,
  dp_bridge,
  dp_system,
  dp_eavesdrop,
  dp_cid,
  vm_skip,
  vm_callback,
  vm_empty,
  xmlrpc,
  verto,
  pre_exec,
  pre_comment,
]
