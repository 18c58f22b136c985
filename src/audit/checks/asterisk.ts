// Asterisk checks, in catalogue order (reference §2.1–2.6).
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { check as acl_overbroad } from './ast.acl.overbroad.js'
import { check as acl_permit } from './ast.acl.permit-without-deny.js'
import { check as ami_public } from './ast.ami.public-bind.js'
import { check as ami_noacl } from './ast.ami.user-no-acl.js'
import { check as ami_weak } from './ast.ami.weak-secret.js'
import { check as ari_weak } from './ast.ari.weak-password.js'
import { check as core_ctl } from './ast.core.ctl-perms.js'
import { check as core_live } from './ast.core.live-dangerously.js'
import { check as creds_default } from './ast.creds.default.js'
import { check as dp_cid_auth } from './ast.dp.callerid-as-auth.js'
import { check as dp_chanspy } from './ast.dp.chanspy-unprotected.js'
import { check as dp_disa_nopw } from './ast.dp.disa-no-password.js'
import { check as dp_disa } from './ast.dp.disa-present.js'
import { check as dp_inbound_inc } from './ast.dp.inbound-includes-internal.js'
import { check as dp_cf } from './ast.dp.remote-callforward.js'
import { check as dp_default } from './ast.dp.toll-in-default.js'
import { check as dp_shell } from './ast.dp.untrusted-in-shell.js'
import { check as dp_toll } from './ast.dp.untrusted-reaches-toll.js'
import { check as dp_vm_s } from './ast.dp.vm-skip-pin.js'
import { check as dp_wild } from './ast.dp.wildcard-exten-in-dial.js'
import { check as pjsip_anon } from './ast.pjsip.anonymous-endpoint.js'
import { check as pjsip_unauth } from './ast.pjsip.endpoint-unauth-username-ident.js'
import { check as pjsip_idhdr } from './ast.pjsip.identify-header.js'
import { check as pjsip_idbroad } from './ast.pjsip.identify-overbroad.js'
import { check as pjsip_weak } from './ast.pjsip.weak-password.js'
import { check as sip_guest } from './ast.sip.allowguest.js'
import { check as sip_autocreate } from './ast.sip.autocreatepeer.js'
import { check as sip_insecure } from './ast.sip.insecure-invite.js'
import { check as sip_weak } from './ast.sip.weak-secret.js'
import { check as vm_dialout } from './ast.vm.dialout-toll.js'
import { check as vm_eq } from './ast.vm.pin-equals-mailbox.js'
import { check as vm_trivial } from './ast.vm.pin-trivial.js'

export const asteriskChecks: readonly Check<AsteriskModel>[] = [
  core_live,
  core_ctl,
  acl_permit,
  acl_overbroad,
  creds_default,
  pjsip_unauth,
  pjsip_anon,
  pjsip_idbroad,
  pjsip_idhdr,
  pjsip_weak,
  sip_guest,
  sip_autocreate,
  sip_insecure,
  sip_weak,
  dp_toll,
  dp_default,
  dp_inbound_inc,
  dp_wild,
  dp_shell,
  dp_cid_auth,
  dp_vm_s,
  dp_disa_nopw,
  dp_disa,
  dp_cf,
  dp_chanspy,
  ami_public,
  ami_noacl,
  ami_weak,
  ari_weak,
  vm_eq,
  vm_trivial,
  vm_dialout,
]
