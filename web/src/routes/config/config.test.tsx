import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  AdminService,
  type ConnectorConfigRevision,
  ConnectorConfigRevisionSchema,
  type DiffConnectorConfigRequest,
  type RollbackConnectorConfigRequest,
  type SetConnectorConfigRequest,
  type ValidateConnectorConfigRequest,
} from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

const value = (rules: string[], defaultTopic = "eda.events") =>
  `${JSON.stringify({ topics: { rules, defaultTopic, deadLetterTopic: "eda.dlq" }, pipeline: {} }, null, 2)}\n`;

const revision = (n: number, v: string): ConnectorConfigRevision =>
  create(ConnectorConfigRevisionSchema, {
    revision: BigInt(n),
    time: timestampFromMs(1_764_000_000_000 + n),
    value: v,
  });

/** An admin with three revisions (7 running); checks like the bridge would, coarsely; records what was asked. */
function fakeAdmin() {
  const revisions = [
    revision(7, value(["eda.>=eda.events"])),
    revision(5, value(["eda.*.alarm=eda.alarms", "eda.>=eda.events"])),
    revision(2, value([])),
  ];
  const seen = {
    validate: [] as ValidateConnectorConfigRequest[],
    set: [] as SetConnectorConfigRequest[],
    rollback: [] as RollbackConnectorConfigRequest[],
    diff: [] as DiffConnectorConfigRequest[],
  };
  const check = (v: string): string[] => {
    try {
      const parsed = JSON.parse(v) as { topics?: { defaultTopic?: unknown } };
      return typeof parsed.topics?.defaultTopic === "string" && parsed.topics.defaultTopic !== ""
        ? []
        : ["topics.defaultTopic: required"];
    } catch (err) {
      return [`not JSON: ${(err as Error).message}`];
    }
  };
  const routes = (router: ConnectRouter) =>
    router.service(AdminService, {
      getConnectorConfig: () => ({ config: revisions[0] }),
      validateConnectorConfig(req) {
        seen.validate.push(req);
        const problems = check(req.value);
        return problems.length > 0
          ? { valid: false, problems }
          : {
              valid: true,
              normalizedValue: req.value,
              routes: req.sampleSubjects.map((subject) => ({
                subject,
                topic: "eda.events",
                rule: "eda.>=eda.events",
              })),
            };
      },
      diffConnectorConfig(req) {
        seen.diff.push(req);
        if (req.toValue !== "")
          return req.toValue === revisions[0]?.value
            ? { changes: [] }
            : {
                fromRevision: 7n,
                changes: [{ path: "topics.rules[0]", from: '"eda.>=eda.events"', to: '"x"' }],
              };
        return {
          fromRevision: req.fromRevision,
          toRevision: req.toRevision,
          changes: [{ path: "topics.rules[1]", from: '"eda.>=eda.events"', to: "" }],
        };
      },
      setConnectorConfig(req) {
        seen.set.push(req);
        const written = revision(8, req.value);
        revisions.unshift(written);
        return { config: written };
      },
      listConnectorConfigRevisions: () => ({ revisions }),
      rollbackConnectorConfig(req) {
        seen.rollback.push(req);
        const written = revision(9, revisions.find((r) => r.revision === req.revision)?.value ?? "");
        revisions.unshift(written);
        return { config: written };
      },
    });
  /** Someone else saves `v` as revision `n`. */
  const savedElsewhere = (n: number, v: string) => revisions.unshift(revision(n, v));
  return { routes, seen, savedElsewhere };
}

const editor = () => screen.findByLabelText(/Value \(JSON\)/) as Promise<HTMLTextAreaElement>;

describe("configuration", () => {
  it("edits the running value: checked as one types, the diff against the running revision, saved by an operator", async () => {
    const { routes, seen } = fakeAdmin();
    renderApp("/config", routes, { role: "operator" });
    const textarea = await editor();
    expect(textarea.value).toBe(value(["eda.>=eda.events"]));
    expect(
      await screen.findByText("No changes: the same routing and settings as the running revision."),
    ).toBeTruthy();
    const save = screen.getByRole("button", { name: "Save as a new revision" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    fireEvent.change(textarea, { target: { value: value(["x"]) } });
    const diff = await screen.findByRole("table", { name: "Changes against the running revision" });
    expect(within(diff).getByText("topics.rules[0]")).toBeTruthy();
    // The dry run of the default subjects.
    const routing = screen.getByRole("table", { name: "Routing of the sample subjects" });
    expect(within(routing).getAllByRole("row")).toHaveLength(4);
    await waitFor(() => expect(save.disabled).toBe(false));
    fireEvent.click(save);
    const dialog = await screen.findByRole("dialog", { name: "Save the configuration?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(seen.set).toHaveLength(1));
    expect(seen.set[0]?.value).toBe(value(["x"]));
    expect(seen.set[0]?.expectedRevision).toBe(7n);
    expect(await screen.findByText(/Revision 8 written/)).toBeTruthy();
  });

  it("shows the validation problems inline, debounced, and refuses to save", async () => {
    const { routes, seen } = fakeAdmin();
    renderApp("/config", routes, { role: "operator" });
    const textarea = await editor();
    await screen.findByText("No changes: the same routing and settings as the running revision.");
    const before = seen.validate.length;
    fireEvent.change(textarea, { target: { value: "{" } });
    fireEvent.change(textarea, { target: { value: '{"topics": {' } });
    fireEvent.change(textarea, { target: { value: '{"topics": {"rules": []}}' } });
    const problems = await screen.findByTestId("config-problems");
    expect(problems.textContent).toContain("topics.defaultTopic: required");
    // One check for the value the user stopped at, not one per keystroke.
    expect(seen.validate.slice(before).map((r) => r.value)).toEqual(['{"topics": {"rules": []}}']);
    expect(textarea.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(textarea.getAttribute("aria-describedby") ?? "")?.textContent).toContain(
      "Invalid configuration",
    );
    expect(
      (screen.getByRole("button", { name: "Save as a new revision" }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  it("points at a JSON syntax error: line, column and a caret under it, and puts the cursor there", async () => {
    const { routes } = fakeAdmin();
    renderApp("/config", routes, { role: "operator" });
    const textarea = await editor();
    await screen.findByText("No changes: the same routing and settings as the running revision.");
    const broken = '{\n  "topics": {\n    "rules" []\n  }\n}';
    fireEvent.change(textarea, { target: { value: broken } });
    const problems = await screen.findByTestId("config-problems");
    expect(problems.textContent).toContain("not JSON");
    expect(screen.getByTestId("config-json-error-location").textContent).toBe("Line 3, column 13");
    expect(screen.getByTestId("config-json-error-caret").textContent).toBe('    "rules" []\n            ^');
    fireEvent.click(within(problems).getByRole("button", { name: "Show in the editor" }));
    expect(document.activeElement).toBe(textarea);
    expect(textarea.selectionStart).toBe(broken.indexOf("[]"));
  });

  it("a viewer cannot save: the button is disabled and says why", async () => {
    const { routes, seen } = fakeAdmin();
    renderApp("/config", routes, { role: "viewer" });
    const textarea = await editor();
    fireEvent.change(textarea, { target: { value: value(["x"]) } });
    await screen.findByRole("table", { name: "Changes against the running revision" });
    const save = screen.getByRole("button", { name: "Save as a new revision" });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    expect(document.getElementById(save.getAttribute("aria-describedby") ?? "")?.textContent).toContain(
      "needs the operator role",
    );
    fireEvent.click(save);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(seen.set).toHaveLength(0);
  });

  it("keeps unsaved edits across the History view and back", async () => {
    const { routes } = fakeAdmin();
    renderApp("/config", routes, { role: "operator" });
    fireEvent.change(await editor(), { target: { value: value(["kept"]) } });
    fireEvent.click(screen.getByRole("link", { name: "History" }));
    await screen.findByRole("table", { name: "Revisions" });
    fireEvent.click(screen.getByRole("link", { name: "Edit" }));
    expect((await editor()).value).toBe(value(["kept"]));
    expect((screen.getByRole("button", { name: "Discard changes" }) as HTMLButtonElement).disabled).toBe(
      false,
    );
  });

  it("a revision saved meanwhile is announced, not put over the edits: compare, keep (saved over it) or discard", async () => {
    const { routes, seen, savedElsewhere } = fakeAdmin();
    const { context } = renderApp("/config", routes, { role: "operator" });
    const textarea = await editor();
    fireEvent.change(textarea, { target: { value: value(["mine"]) } });
    savedElsewhere(8, value(["theirs"]));
    await context.queryClient.invalidateQueries();
    expect(await screen.findByText(/Revision 8 was saved meanwhile/)).toBeTruthy();
    expect(textarea.value).toBe(value(["mine"]));
    expect(screen.getByText(/Edited from revision 7/)).toBeTruthy();
    const save = screen.getByRole("button", { name: "Save as a new revision" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    // What the other save changed.
    fireEvent.click(screen.getByRole("button", { name: "Compare" }));
    expect(await screen.findByRole("table", { name: "Changes from revision 7 to 8" })).toBeTruthy();
    // Keep: the edits now apply over revision 8, and are saved over it.
    fireEvent.click(screen.getByRole("button", { name: "Keep my changes" }));
    await waitFor(() => expect(screen.queryByText(/was saved meanwhile/)).toBeNull());
    expect(screen.getByText(/Edited from revision 8/)).toBeTruthy();
    await waitFor(() => expect(save.disabled).toBe(false));
    fireEvent.click(save);
    const dialog = await screen.findByRole("dialog", { name: "Save the configuration?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(seen.set).toHaveLength(1));
    expect(seen.set[0]).toMatchObject({ value: value(["mine"]), expectedRevision: 8n });
  });

  it("discarding after a revision saved meanwhile shows that revision; without edits the editor just follows it", async () => {
    const { routes, savedElsewhere } = fakeAdmin();
    const { context } = renderApp("/config", routes, { role: "operator" });
    const textarea = await editor();
    savedElsewhere(8, value(["eight"]));
    await context.queryClient.invalidateQueries();
    await waitFor(() => expect(textarea.value).toBe(value(["eight"])));
    expect(screen.queryByText(/was saved meanwhile/)).toBeNull();

    fireEvent.change(textarea, { target: { value: value(["mine"]) } });
    savedElsewhere(9, value(["nine"]));
    await context.queryClient.invalidateQueries();
    await screen.findByText(/Revision 9 was saved meanwhile/);
    fireEvent.click(screen.getByRole("button", { name: "Discard my changes" }));
    await waitFor(() => expect(textarea.value).toBe(value(["nine"])));
    expect(screen.queryByText(/was saved meanwhile/)).toBeNull();
  });

  it("asks before leaving the page with unsaved edits", async () => {
    const { routes } = fakeAdmin();
    const { router } = renderApp("/config", routes, { role: "operator" });
    fireEvent.change(await editor(), { target: { value: value(["unsaved"]) } });
    void router.navigate({ to: "/audit" });
    const dialog = await screen.findByRole("dialog", { name: "Leave with unsaved changes?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() =>
      expect(screen.queryByRole("dialog", { name: "Leave with unsaved changes?" })).toBeNull(),
    );
    expect(router.state.location.pathname).toBe("/config");
    expect((await editor()).value).toBe(value(["unsaved"]));

    void router.navigate({ to: "/audit" });
    fireEvent.click(
      within(await screen.findByRole("dialog", { name: "Leave with unsaved changes?" })).getByRole("button", {
        name: "Leave and discard them",
      }),
    );
    await waitFor(() => expect(router.state.location.pathname).toBe("/audit"));
  });

  it("lists the revisions, compares one with the one before (in the URL), rolls back after confirmation", async () => {
    const { routes, seen } = fakeAdmin();
    const { router } = renderApp("/config?view=history", routes, { role: "operator" });
    const table = await screen.findByRole("table", { name: "Revisions" });
    const views = screen.getByRole("navigation", { name: "Configuration views" });
    expect(within(views).getByRole("link", { name: "History" }).getAttribute("aria-current")).toBe("page");
    expect(within(views).getByRole("link", { name: "Edit" }).getAttribute("aria-current")).toBeNull();
    const rows = within(table).getAllByTestId("revision");
    expect(rows.map((r) => (r as HTMLTableRowElement).cells[0]?.textContent)).toEqual(["7", "5", "2"]);
    expect(within(rows[0] as HTMLElement).getByText("running")).toBeTruthy();
    expect(within(rows[0] as HTMLElement).queryByRole("button", { name: /Roll back/ })).toBeNull();

    fireEvent.click(within(rows[1] as HTMLElement).getByRole("button", { name: "Changes of revision 5" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ view: "history", from: 2, to: 5 }));
    const diff = await screen.findByRole("table", { name: "Changes from revision 2 to 5" });
    expect(within(diff).getByText("topics.rules[1]")).toBeTruthy();

    fireEvent.click(within(rows[1] as HTMLElement).getByRole("button", { name: "Roll back to 5" }));
    const dialog = await screen.findByRole("dialog", { name: "Roll back to revision 5?" });
    // What rolling back changes against the running revision, not the raw value.
    const changes = await within(dialog).findByRole("table", {
      name: "Changes of rolling back to revision 5",
    });
    expect(within(changes).getByText("topics.rules[1]")).toBeTruthy();
    expect(seen.diff.at(-1)).toMatchObject({ fromRevision: 0n, toRevision: 5n });
    expect(seen.rollback).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Roll back" }));
    await waitFor(() => expect(seen.rollback).toHaveLength(1));
    expect(seen.rollback[0]?.revision).toBe(5n);
    expect(await screen.findByText(/Revision 9 written with the value of revision 5/)).toBeTruthy();
    // The list is read again: the new revision runs.
    await waitFor(() =>
      expect(
        within(screen.getByRole("table", { name: "Revisions" })).getAllByTestId("revision")[0]?.textContent,
      ).toMatch(/^9/),
    );
  });

  it("a viewer cannot roll back", async () => {
    const { routes, seen } = fakeAdmin();
    renderApp("/config?view=history", routes, { role: "viewer" });
    const button = await screen.findByRole("button", { name: "Roll back to 5" });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(document.getElementById(button.getAttribute("aria-describedby") ?? "")?.textContent).toContain(
      "needs the operator role",
    );
    expect(seen.rollback).toHaveLength(0);
  });

  it("says when no configuration was ever written", async () => {
    renderApp("/config?view=history", (router) =>
      router.service(AdminService, { listConnectorConfigRevisions: () => ({ revisions: [] }) }),
    );
    expect(await screen.findByText("No revisions")).toBeTruthy();
  });
});
