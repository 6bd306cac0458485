// ECPay's official Node SDK (ecpay_aio_nodejs) as a merchant uses it, pointed at the
// simulator. Reads one JSON command on stdin, writes one JSON answer on stdout.
//
//   {"sim": "http://127.0.0.1:PORT", "merchant": {"id", "key", "iv"}, "op": ..., ...}
//   op "checkout":  payment_client.aio_check_out_<method>(params) -> {action, fields}
//   op "verify":    the SDK's own CheckMacValue check of a `k=v&...` text -> {valid}
//   op "query":     query_client.query_trade_info({MerchantTradeNo}) -> {text, valid}
//   op "do_action": exec_grant_refund.credit_do_act(params) -> {text}
//
// The SDK has no setting for its host: its service URLs are the stage/production ones in
// lib/ecpay_payment/ECpayPayment.xml, read by PaymentVerifyBase.get_svc_url. That one method
// is pointed at the simulator (same paths, under /ecpay). Its http_request also drops the
// URL's port (it passes hostname and path only), so requests to the simulator's port get it
// back here; on ECPay's real hosts (443) neither matters. The SDK prints its hashing input
// with console.log: that goes to stderr, keeping stdout for the answer.
"use strict";

const http = require("http");
const ECPayPayment = require("ecpay_aio_nodejs");
const verify = require("ecpay_aio_nodejs/lib/ecpay_payment/verification.js");

const STAGE = "https://payment-stage.ecpay.com.tw";

function pointAt(sim) {
  const base = verify.PaymentVerifyBase.prototype;
  const official = base.get_svc_url;
  base.get_svc_url = function (apiname, mode) {
    return official.call(this, apiname, mode).replace(STAGE, `${sim}/ecpay`);
  };
  const port = new URL(sim).port;
  const request = http.request;
  http.request = function (options, callback) {
    if (typeof options === "object" && !options.port) options = { ...options, port };
    return request.call(http, options, callback);
  };
}

function parseForm(html) {
  const action = /<form id="[^"]*" action="([^"]*)"/.exec(html)[1];
  const fields = {};
  const input = /<input type="hidden" name="([^"]*)" id="[^"]*" value="([^"]*)" \/>/g;
  let match;
  while ((match = input.exec(html)) !== null) fields[match[1]] = match[2];
  return { action, fields };
}

async function run(command) {
  console.log = (...args) => console.error(...args);
  pointAt(command.sim);
  const options = {
    OperationMode: "Test",
    MercProfile: { MerchantID: command.merchant.id, HashKey: command.merchant.key,
                   HashIV: command.merchant.iv },
    IgnorePayment: [],
    IsProjectContractor: false,
  };
  const ecpay = new ECPayPayment(options);
  switch (command.op) {
    case "checkout": {
      const client = ecpay.payment_client;
      const html = client[`aio_check_out_${command.method}`](command.params);
      return parseForm(html);
    }
    case "verify":
      return { valid: ecpay.payment_client.helper.valid_chkmc_string(command.text) };
    case "query": {
      const params = { MerchantTradeNo: command.no };
      const text = await ecpay.query_client.query_trade_info(params);
      const valid = text.includes("CheckMacValue=")
        ? ecpay.query_client.helper.valid_chkmc_string(text) : null;
      return { text, valid, sent: params };
    }
    case "do_action":
      return { text: await ecpay.exec_grant_refund.credit_do_act(command.params) };
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  run(JSON.parse(input)).then(
    (answer) => { process.stdout.write(JSON.stringify(answer)); },
    (error) => { process.stdout.write(JSON.stringify({ error: String(error) })); });
});
