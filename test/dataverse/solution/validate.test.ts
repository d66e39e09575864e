// `crm-tapi solution validate`: the built zip passes; each of the five
// bad cases fails with its own precise sentence; without the XSDs the check
// says so in one sentence (CI has them and must run it); random bytes never
// crash the validator.
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSolution } from '../../../src/dataverse/solution/validate.ts';
import { builtSolution, mutate, XSD_DIR, XSD_PRESENT, type Built } from './support.ts';

let built: Built;
beforeAll(async () => {
  built = await builtSolution();
}, 60_000);
afterAll(() => built?.cleanup());

const CUSTOMIZATIONS = 'customizations.xml';

describe('solution validate', () => {
  it('passes the built zip, with the XSD check run where the schemas are', async () => {
    if (process.env.CI !== undefined) expect(XSD_PRESENT, `CI must have Microsoft's XSDs in ${XSD_DIR}`).toBe(true);
    const report = await validateSolution(built.zip);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    if (XSD_PRESENT) expect(report.xsdSkipped).toBeUndefined();
  });

  it('says in one sentence that the XSD check was skipped when the schemas are absent', async () => {
    const report = await validateSolution(built.zip, { schemaDir: '/nonexistent/dataverse-xsd' });
    expect(report.ok).toBe(true);
    expect(report.xsdSkipped).toBe("XSD check skipped: Microsoft's solution schemas are not in /nonexistent/dataverse-xsd (set CRM_TAPI_DATAVERSE_XSD to their folder)");
  });

  it('fails on a misspelt privilege and names the one meant', async () => {
    const bad = mutate(built.zip, CUSTOMIZATIONS, (t) => t.replace('name="prvReadAccount"', 'name="prvReadAcount"'));
    const report = await validateSolution(bad);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain('role "TapiInterface Admin": privilege "prvReadAcount" does not exist (did you mean "prvReadAccount"?)');
  });

  it('fails when a column the manager uses is missing', async () => {
    const bad = mutate(built.zip, CUSTOMIZATIONS, (t) => t.replace(/\s*<attribute PhysicalName="ctapi_callkey">[\s\S]*?<\/attribute>/, ''));
    const report = await validateSolution(bad);
    expect(report.problems).toEqual(['column ctapi_calllog.ctapi_callkey, which the manager uses, is missing']);
  });

  it('fails on an illegal web resource name', async () => {
    const bad = mutate(built.zip, CUSTOMIZATIONS, (t) => t.replace('<Name>ctapi_/crmtapi/formonload.js</Name>', '<Name>ctapi_/crm-tapi/form-onload.js</Name>'));
    const report = await validateSolution(bad);
    expect(report.problems).toContain('web resource name "ctapi_/crm-tapi/form-onload.js" is illegal: use letters, digits, ".", "_" and single "/" (no hyphens, spaces or "//")');
  });

  it('fails on an option value outside the publisher\'s range', async () => {
    const bad = mutate(built.zip, CUSTOMIZATIONS, (t) => t.replace(/(<attribute PhysicalName="ctapi_level">[\s\S]*?<option value=")946410002(")/, '$1100000002$2'));
    const report = await validateSolution(bad);
    expect(report.problems).toContain('column ctapi_eventlog.ctapi_level: option value 100000002 is outside the publisher\'s range 946410000–946419999');
  });

  it.runIf(XSD_PRESENT)('fails on a FormXml element the XSD rejects, with its line', async () => {
    const bad = mutate(built.zip, CUSTOMIZATIONS, (t) => t.replace('<rows>', '<rows>\n<bogusrow />'));
    const report = await validateSolution(bad);
    expect(report.ok).toBe(false);
    const xsd = report.problems.filter((p) => p.includes('bogusrow'));
    expect(xsd.length).toBeGreaterThanOrEqual(2);
    expect(xsd[0]).toMatch(/^customizations\.xml:\d+: element bogusrow: Element 'bogusrow': This element is not expected\. Expected is \( row \)\.$/);
    expect(xsd.some((p) => p.startsWith('customizations.xml: FormXml {'))).toBe(true);
  });

  it('reports a zip without solution.xml, and bytes that are no zip, in one sentence each', async () => {
    const { unzipSync, zipSync } = await import('fflate');
    const files = unzipSync(built.zip);
    delete files['solution.xml'];
    expect((await validateSolution(zipSync(files))).problems).toEqual(['the zip has no solution.xml at its root']);
    expect((await validateSolution(new Uint8Array([1, 2, 3]))).problems[0]).toMatch(/^the file is not a zip archive: /);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 2000 })], { numRuns: 100 })('random bytes give problems, never a crash', async (bytes) => {
    const report = await validateSolution(bytes, { schemaDir: '/nonexistent' });
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
  });
});
