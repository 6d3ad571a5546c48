import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseApiKeys, secretDigest } from "./api-keys.ts";

const Role = { reader: "reader", operator: "operator" } as const;
const ROLES = [Role.reader, Role.operator];

describe("parseApiKeys", () => {
  it("keeps each key's name and role by the SHA-256 of its secret, never the secret", () => {
    const keys = parseApiKeys(
      ["alice:alice-secret-0123456789:reader", "ops:ops-secret-0123456789ab:operator"],
      ROLES,
    );
    assert.deepEqual(keys.issues, []);
    assert.deepEqual(keys.byDigest.get(secretDigest("alice-secret-0123456789")), {
      name: "alice",
      role: Role.reader,
    });
    assert.deepEqual(keys.byDigest.get(secretDigest("ops-secret-0123456789ab")), {
      name: "ops",
      role: Role.operator,
    });
    assert.ok(!JSON.stringify([...keys.byDigest]).includes("secret-0123456789"));
  });

  it("reports each problem with the entry's index, without the secret", () => {
    const { issues } = parseApiKeys(
      [
        "a:b",
        "UPPER:upper-secret-0123456789:reader",
        "carol:tooshort:reader",
        "dave:dave-secret-0123456789:root",
      ],
      ROLES,
    );
    assert.deepEqual(
      issues.map((i) => [i.path, i.got]),
      [
        ["access.apiKeys[0]", '2 part(s) separated by ":"'],
        ["access.apiKeys[1]", '"UPPER"'],
        ["access.apiKeys[2]", "8 characters"],
        ["access.apiKeys[3]", '"root"'],
      ],
    );
  });

  it("refuses a name or a secret used twice", () => {
    const { issues } = parseApiKeys(
      [
        "alice:alice-secret-0123456789:reader",
        "alice:other-secret-0123456789:reader",
        "bob:alice-secret-0123456789:reader",
      ],
      ROLES,
    );
    assert.deepEqual(
      issues.map((i) => [i.path, i.expected, i.got]),
      [
        ["access.apiKeys[1]", "a unique key name", '"alice" again'],
        ["access.apiKeys[2]", "a unique secret", 'the secret of "alice" again'],
      ],
    );
  });
});
