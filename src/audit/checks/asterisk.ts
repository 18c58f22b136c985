// Asterisk checks, in catalogue order (reference §2.1–2.6).
import type { AsteriskModel } from '../asterisk/model.js'
import type { Check } from '../types.js'
import { check as acl_undefined } from './ast.acl.named-undefined.js'
import { check as acl_overbroad } from './ast.acl.overbroad.js'
import { check as acl_permit } from './ast.acl.permit-without-deny.js'
import { check as ami_notls } from './ast.ami.no-tls-remote.js'
import { check as ami_write } from './ast.ami.privileged-write.js'
import { check as ami_public } from './ast.ami.public-bind.js'
import { check as ami_noacl } from './ast.ami.user-no-acl.js'
import { check as ami_weak } from './ast.ami.weak-secret.js'
import { check as ari_noacl } from './ast.ari.no-acl.js'
import { check as ari_origins } from './ast.ari.origins-wildcard.js'
import { check as ari_weak } from './ast.ari.weak-password.js'
import { check as core_ctl } from './ast.core.ctl-perms.js'
import { check as core_exec } from './ast.core.exec-directive.js'
import { check as core_execinc } from './ast.core.execincludes.js'
import { check as core_live } from './ast.core.live-dangerously.js'
import { check as core_root } from './ast.core.runs-as-root.js'
import { check as creds_default } from './ast.creds.default.js'
import { check as dp_auth_weak } from './ast.dp.authenticate-weak.js'
import { check as dp_cid_auth } from './ast.dp.callerid-as-auth.js'
import { check as dp_cid_input } from './ast.dp.callerid-from-input.js'
import { check as dp_chanspy } from './ast.dp.chanspy-unprotected.js'
import { check as dp_disa_nopw } from './ast.dp.disa-no-password.js'
import { check as dp_disa } from './ast.dp.disa-present.js'
import { check as dp_dyngoto } from './ast.dp.dynamic-goto.js'
import { check as dp_inbound_inc } from './ast.dp.inbound-includes-internal.js'
import { check as dp_intl } from './ast.dp.international-open.js'
import { check as dp_premium } from './ast.dp.premium-prefix.js'
import { check as dp_cf } from './ast.dp.remote-callforward.js'
import { check as dp_default } from './ast.dp.toll-in-default.js'
import { check as dp_xfer } from './ast.dp.transfer-options-external.js'
import { check as dp_filename } from './ast.dp.untrusted-in-filename.js'
import { check as dp_shell } from './ast.dp.untrusted-in-shell.js'
import { check as dp_toll } from './ast.dp.untrusted-reaches-toll.js'
import { check as dp_vm_outside } from './ast.dp.vm-from-outside.js'
import { check as dp_vm_s } from './ast.dp.vm-skip-pin.js'
import { check as dp_wild } from './ast.dp.wildcard-exten-in-dial.js'
import { check as http_cleartext } from './ast.http.public-cleartext.js'
import { check as http_tls } from './ast.http.tls-legacy.js'
import { check as log_security } from './ast.log.no-security-channel.js'
import { check as pjsip_anon } from './ast.pjsip.anonymous-endpoint.js'
import { check as pjsip_unauth } from './ast.pjsip.endpoint-unauth-username-ident.js'
import { check as pjsip_idhdr } from './ast.pjsip.identify-header.js'
import { check as pjsip_idbroad } from './ast.pjsip.identify-overbroad.js'
import { check as pjsip_noacl } from './ast.pjsip.no-acl-trunk.js'
import { check as pjsip_sdes } from './ast.pjsip.sdes-cleartext.js'
import { check as pjsip_tlsverify } from './ast.pjsip.tls-no-verify-server.js'
import { check as pjsip_tlsmethod } from './ast.pjsip.tls-weak-method.js'
import { check as pjsip_xfer } from './ast.pjsip.transfer-on-trunk.js'
import { check as pjsip_trustid } from './ast.pjsip.trust-id-inbound.js'
import { check as pjsip_options } from './ast.pjsip.unauth-options.js'
import { check as pjsip_weak } from './ast.pjsip.weak-password.js'
import { check as rtp_strict } from './ast.rtp.strictrtp-off.js'
import { check as sip_guest } from './ast.sip.allowguest.js'
import { check as sip_authreject } from './ast.sip.alwaysauthreject-off.js'
import { check as sip_autocreate } from './ast.sip.autocreatepeer.js'
import { check as sip_insecure } from './ast.sip.insecure-invite.js'
import { check as sip_promisc } from './ast.sip.promiscredir.js'
import { check as sip_tls } from './ast.sip.tls-weak.js'
import { check as sip_rpid } from './ast.sip.trustrpid.js'
import { check as sip_message } from './ast.sip.unauth-message.js'
import { check as sip_weak } from './ast.sip.weak-secret.js'
import { check as vm_dialout } from './ast.vm.dialout-toll.js'
import { check as vm_minpw } from './ast.vm.minpassword.js'
import { check as vm_eq } from './ast.vm.pin-equals-mailbox.js'
import { check as vm_trivial } from './ast.vm.pin-trivial.js'
import { check as vm_sample } from './ast.vm.sample-mailbox.js'

export const asteriskChecks: readonly Check<AsteriskModel>[] = [
  // §2.1 core, files, ACLs, credentials
  core_live,
  core_execinc,
  core_exec,
  core_root,
  core_ctl,
  acl_undefined,
  acl_permit,
  acl_overbroad,
  creds_default,
  // §2.2 PJSIP
  pjsip_unauth,
  pjsip_anon,
  pjsip_idbroad,
  pjsip_idhdr,
  pjsip_weak,
  pjsip_options,
  pjsip_noacl,
  pjsip_trustid,
  pjsip_sdes,
  pjsip_tlsmethod,
  pjsip_tlsverify,
  pjsip_xfer,
  // §2.3 chan_sip
  sip_guest,
  sip_authreject,
  sip_autocreate,
  sip_insecure,
  sip_weak,
  sip_message,
  sip_promisc,
  sip_rpid,
  sip_tls,
  // §2.4 dialplan
  dp_toll,
  dp_default,
  dp_inbound_inc,
  dp_wild,
  dp_shell,
  dp_filename,
  dp_intl,
  dp_premium,
  dp_cid_input,
  dp_cid_auth,
  dp_vm_s,
  dp_vm_outside,
  dp_disa_nopw,
  dp_disa,
  dp_auth_weak,
  dp_cf,
  dp_xfer,
  dp_chanspy,
  dp_dyngoto,
  // §2.5 AMI, HTTP, ARI
  ami_public,
  ami_noacl,
  ami_weak,
  ami_write,
  ami_notls,
  http_cleartext,
  http_tls,
  ari_weak,
  ari_origins,
  ari_noacl,
  // §2.6 RTP, voicemail, logging
  rtp_strict,
  vm_eq,
  vm_trivial,
  vm_sample,
  vm_minpw,
  vm_dialout,
  log_security,
]
