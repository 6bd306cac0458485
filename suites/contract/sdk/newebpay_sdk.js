// newebpay-mpg-sdk as a merchant uses it (its README), pointed at the simulator. Reads one
// JSON command on stdin, writes one JSON answer on stdout.
//
//   {"sim": "http://127.0.0.1:PORT", "merchant": {"id", "key", "iv"}, "op": ..., ...}
//   op "form":   getPaymentFormHTML(params) -> {action, fields}
//   op "parse":  parseTradeInfo(tradeInfo) -> {parsed}
//   op "check":  buildCheckCode(params) -> {code}
//   op "query":  queryTradeInfo({Amt, MerchantOrderNo}) -> {Status, Message, Result}
//   op "close":  refundCreditCard(params) -> {Status, Message, Result}
//   op "cancel": cancelCreditCard(params) -> {Status, Message, Result}
//
// The SDK's hosts are fixed (ccore/core.newebpay.com by `env`); its documented
// `options.proxyEndpoint` (with `proxySecret`) is where its server API calls go instead,
// so that is the simulator's /newebpay. The MPG form's action stays NewebPay's own host:
// the test posts the form's fields to the simulator as the browser would to that action.
"use strict";

const NewebpayClient = require("newebpay-mpg-sdk").default;

function parseForm(html) {
  const action = /<form id="[^"]*" method="post" action="([^"]*)">/.exec(html)[1];
  const fields = {};
  const input = /<input type="hidden" name="([^"]*)" value="([^"]*)" \/>/g;
  let match;
  while ((match = input.exec(html)) !== null) fields[match[1]] = match[2];
  return { action, fields };
}

async function run(command) {
  const client = new NewebpayClient({
    merchantId: command.merchant.id,
    hashKey: command.merchant.key,
    hashIV: command.merchant.iv,
    env: "sandbox",
    options: { proxyEndpoint: `${command.sim}/newebpay`, proxySecret: "paylab" },
  });
  switch (command.op) {
    case "form":
      return parseForm(client.getPaymentFormHTML(command.params));
    case "parse":
      return { parsed: client.parseTradeInfo(command.tradeInfo) };
    case "check":
      return { code: client.buildCheckCode(command.params) };
    case "query":
      return client.queryTradeInfo(command.params);
    case "close":
      return client.refundCreditCard(command.params);
    case "cancel":
      return client.cancelCreditCard(command.params);
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
