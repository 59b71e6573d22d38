import assert from "node:assert/strict";
import {
  checkHostname,
  checkUrlAddresses,
  classifyAddress,
  isForbiddenAddress,
  type Resolver,
} from "../../src/rss/address.ts";
import { ForbiddenAddressError, UpstreamError } from "../../src/rss/errors.ts";
import { formatIp, parseIp } from "../../src/rss/ip.ts";

function kindOf(text: string): string {
  const ip = parseIp(text);
  assert.ok(ip, `${text} should parse`);
  return classifyAddress(ip);
}

/** Pure classification only: these public addresses are never connected to. */
function fakeResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (host: string) => {
    asked.push(host);
    const found = table[host];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`NXDOMAIN ${host}`));
  };
  return Object.assign(resolve, { asked });
}

Deno.test("parseIp() reads every IPv4 spelling the URL parser accepts", () => {
  for (
    const spelling of [
      "127.0.0.1",
      "0x7f.1",
      "0x7f.0.0.1",
      "2130706433",
      "127.1",
      "127.0.1",
      "0177.0.0.1",
      "017700000001",
      "0x7f000001",
      "127.0.0.1.",
    ]
  ) {
    assert.equal(formatIp(parseIp(spelling)!), "127.0.0.1", spelling);
  }
  for (const bad of ["256.0.0.1", "1.2.3.4.5", "08.1.1.1", "1..2", "", "0x1g.0.0.1"]) {
    assert.equal(parseIp(bad), null, bad);
  }
  assert.equal(formatIp(parseIp("4294967295")!), "255.255.255.255");
  assert.equal(parseIp("4294967296"), null);
});

Deno.test("parseIp() reads IPv6 with brackets, zones, IPv4 tails and compression", () => {
  assert.equal(formatIp(parseIp("[::1]")!), "::1");
  assert.equal(formatIp(parseIp("::ffff:127.0.0.1")!), "::ffff:7f00:1");
  assert.equal(formatIp(parseIp("[::FFFF:7F00:1]")!), "::ffff:7f00:1");
  assert.equal(formatIp(parseIp("fe80::1%eth0")!), "fe80::1");
  assert.equal(formatIp(parseIp("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIp(parseIp("0:0:0:0:0:0:0:0")!), "::");
  for (const bad of ["1::2::3", "12345::", "::ffff:1.2.3", "1:2:3:4:5:6:7:8:9", "[::1"]) {
    assert.equal(parseIp(bad), null, bad);
  }
});

Deno.test("classifyAddress() refuses every internal spelling of the SPEC list", () => {
  const cases: Array<[string, string]> = [
    ["127.0.0.1", "loopback"],
    ["0x7f.1", "loopback"],
    ["2130706433", "loopback"],
    ["[::1]", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["169.254.169.254", "metadata"],
    ["[64:ff9b::a9fe:a9fe]", "metadata"],
    ["[::ffff:a9fe:a9fe]", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["100.64.0.1", "cgnat"],
    ["100.127.255.255", "cgnat"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["[fe80::1]", "link_local"],
    ["169.254.1.1", "link_local"],
    ["192.0.2.1", "documentation"],
    ["198.51.100.7", "documentation"],
    ["203.0.113.9", "documentation"],
    ["2001:db8::1", "documentation"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["0.1.2.3", "reserved"],
    ["255.255.255.255", "broadcast"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["240.0.0.1", "reserved"],
    ["2002:7f00:1::", "loopback"], // 6to4 of 127.0.0.1
    ["2002:a00:1::1", "private"], // 6to4 of 10.0.0.1
    ["2001:0:4136:e378:8000:63bf:a247:27dd", "public"], // Teredo, public ends
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"], // Teredo client 127.0.0.1
    ["::7f00:1", "loopback"], // deprecated IPv4-compatible
    ["::5db8:d822", "reserved"],
    ["100::1", "reserved"],
    ["4000::1", "reserved"],
  ];
  for (const [spelling, kind] of cases) assert.equal(kindOf(spelling), kind, spelling);
});

Deno.test("classifyAddress() lets public addresses through", () => {
  for (
    const spelling of [
      "93.184.216.34",
      "8.8.8.8",
      "1.1.1.1",
      "172.32.0.1",
      "100.128.0.1",
      "2606:4700::1",
      "2a00:1450:4007:80e::200e",
      "::ffff:93.184.216.34",
      "64:ff9b::5db8:d822",
    ]
  ) {
    assert.equal(kindOf(spelling), "public", spelling);
    assert.equal(isForbiddenAddress(spelling), false, spelling);
  }
});

Deno.test("isForbiddenAddress() fails closed on unparseable text", () => {
  assert.equal(isForbiddenAddress("not an address"), true);
  assert.equal(isForbiddenAddress("10.0.0.1"), true);
  assert.equal(isForbiddenAddress(parseIp("0x7f.1")!), true);
});

Deno.test("checkHostname() refuses local names and internal literals", () => {
  for (
    const host of [
      "localhost",
      "localhost.",
      "LOCALHOST",
      "api.localhost",
      "foo.internal",
      "metadata.google.internal",
      "printer.local",
      "nas.home.arpa",
      "box.localdomain",
      "router.lan",
      "metadata",
      "127.0.0.1",
      "0x7f.1",
      "2130706433",
      "127.1",
      "[::1]",
      "[::ffff:7f00:1]",
      "[64:ff9b::a9fe:a9fe]",
      "169.254.169.254",
      "1.2.3.09",
      "example..com",
    ]
  ) {
    assert.throws(() => checkHostname(host), (e: unknown) => {
      assert.ok(e instanceof ForbiddenAddressError, host);
      assert.equal(e.code, "forbidden_address");
      assert.equal(e.name, "ForbiddenAddressError");
      return true;
    });
  }
});

Deno.test("checkHostname() accepts public names and literals, normalised", () => {
  assert.deepEqual(checkHostname("Feeds.Example.com."), {
    kind: "name",
    name: "feeds.example.com",
  });
  assert.deepEqual(checkHostname("93.184.216.34"), { kind: "ip", address: "93.184.216.34" });
  assert.deepEqual(checkHostname("[2606:4700::1]"), { kind: "ip", address: "2606:4700::1" });
  assert.deepEqual(checkHostname("xn--bcher-kva.example"), {
    kind: "name",
    name: "xn--bcher-kva.example",
  });
});

Deno.test("checkUrlAddresses() refuses a name when ANY of its addresses is internal", async () => {
  const resolve = fakeResolver({
    "mixed.example.com": ["93.184.216.34", "10.0.0.1"],
    "v6.example.com": ["2606:4700::1", "::ffff:169.254.169.254"],
    "public.example.com": ["2606:4700::1", "93.184.216.34"],
    "garbage.example.com": ["not-an-ip"],
    "empty.example.com": [],
  });
  for (const host of ["mixed.example.com", "v6.example.com", "garbage.example.com"]) {
    await assert.rejects(
      checkUrlAddresses(new URL(`https://${host}/feed`), resolve),
      ForbiddenAddressError,
    );
  }
  assert.deepEqual(
    await checkUrlAddresses(new URL("https://public.example.com/feed"), resolve),
    ["93.184.216.34", "2606:4700::1"],
  );
  await assert.rejects(
    checkUrlAddresses(new URL("https://empty.example.com/"), resolve),
    UpstreamError,
  );
  await assert.rejects(
    checkUrlAddresses(new URL("https://unknown.example.com/"), resolve),
    UpstreamError,
  );
});

Deno.test("checkUrlAddresses() never resolves refused names or IP literals", async () => {
  const resolve = fakeResolver({});
  for (const url of ["http://localhost./", "http://foo.internal/", "http://0x7f.1/"]) {
    await assert.rejects(checkUrlAddresses(new URL(url), resolve), ForbiddenAddressError);
  }
  assert.deepEqual(await checkUrlAddresses(new URL("http://93.184.216.34/"), resolve), [
    "93.184.216.34",
  ]);
  assert.deepEqual(resolve.asked, []);
});

Deno.test("checkUrlAddresses() without DNS in the runtime still applies the name and literal rules", async () => {
  const noDns = () => Promise.resolve(null);
  assert.deepEqual(await checkUrlAddresses(new URL("https://feeds.example.org/x"), noDns), []);
  for (const url of ["http://localhost./x", "http://foo.internal/x", "http://127.0.0.1/x"]) {
    await assert.rejects(
      checkUrlAddresses(new URL(url), noDns),
      (e: { code?: string }) => e.code === "forbidden_address",
      url,
    );
  }
});
