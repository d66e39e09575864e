// `crm-tapi solution validate [ZIP]`: structure of the zip, our own schema for
// solution.xml (no public XSD covers it), Microsoft's XSDs for
// customizations.xml and each FormXml and SiteMap inside it, and the rules of
// rules.ts. Every problem is one sentence; nothing here throws on bad input.
import { z } from 'zod';
import { lintSolution } from './rules.ts';
import { readSolution, SolutionFormatError, type SolutionPackage } from './read.ts';
import { validateXsd, type XsdDocument } from './xsd.ts';

export interface ValidationReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Set when the XSD check could not run (one sentence why). */
  readonly xsdSkipped?: string;
  readonly version?: string;
}

const zipDirectory = /\/$/;

function structure(pkg: SolutionPackage): string[] {
  const problems: string[] = [];
  for (const name of pkg.entries.keys()) {
    if (zipDirectory.test(name)) problems.push(`the zip holds a folder entry "${name}"; Dataverse expects files only`);
    else if (name.includes('\\')) problems.push(`zip entry "${name}" uses "\\"; use "/"`);
    else if (!['[Content_Types].xml', 'solution.xml', 'customizations.xml'].includes(name) && !name.startsWith('WebResources/')) {
      problems.push(`zip entry "${name}" is not part of a solution`);
    }
  }
  const types = new TextDecoder().decode(pkg.entries.get('[Content_Types].xml') ?? new Uint8Array());
  if (types === '') problems.push('the zip has no [Content_Types].xml at its root');
  else if (!/<Default\s+Extension="xml"/.test(types)) problems.push('[Content_Types].xml has no Default for the extension xml');
  for (const w of pkg.webResources) {
    if (types !== '' && !types.includes(`PartName="${w.fileName}"`)) problems.push(`[Content_Types].xml has no Override for ${w.fileName}`);
  }
  return problems;
}

const manifestSchema = z.object({
  UniqueName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and _'),
  Version: z.string().regex(/^\d+\.\d+(\.\d+){0,2}$/, 'two to four numbers separated by dots'),
  Managed: z.enum(['0', '1']),
  LocalizedNames: z.object({ LocalizedName: z.array(z.object({ '@_description': z.string().min(1), '@_languagecode': z.string().regex(/^\d+$/) })).min(1) }),
  Publisher: z.object({
    UniqueName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    CustomizationPrefix: z.string().regex(/^[a-z][a-z0-9]{1,7}$/, '2–8 lower-case letters or digits').refine((p) => !p.startsWith('mscrm'), 'mscrm is reserved'),
    CustomizationOptionValuePrefix: z.string().regex(/^\d+$/).refine((v) => Number(v) >= 10_000 && Number(v) <= 99_999, 'between 10000 and 99999'),
  }),
  RootComponents: z.object({ RootComponent: z.array(z.object({ '@_type': z.string().regex(/^\d+$/), '@_behavior': z.string().optional() })).min(1) }),
});

function manifestProblems(pkg: SolutionPackage): string[] {
  const parsed = manifestSchema.safeParse(pkg.manifest);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `solution.xml: SolutionManifest/${i.path.filter((p) => typeof p === 'string').join('/')}: ${i.message}`);
}

/** The FormXml and SiteMap parts of customizations.xml, each checked against its own schema too. */
export function xsdDocuments(pkg: SolutionPackage): XsdDocument[] {
  const docs: XsdDocument[] = [{ label: 'customizations.xml', xml: pkg.customizationsText, schema: 'CustomizationsSolution.xsd' }];
  for (const m of pkg.customizationsText.matchAll(/<systemform>[\s\S]*?<\/systemform>/g)) {
    const id = /<formid>([^<]*)<\/formid>/.exec(m[0])?.[1] ?? '?';
    const form = /<form(?:\s[^>]*)?>[\s\S]*<\/form>/.exec(m[0])?.[0];
    if (form !== undefined) docs.push({ label: `customizations.xml: FormXml ${id}`, xml: form, schema: 'FormXml.xsd' });
  }
  for (const m of pkg.customizationsText.matchAll(/<SiteMap(?:\s[^>]*)?>[\s\S]*?<\/SiteMap>/g)) {
    docs.push({ label: 'customizations.xml: SiteMap', xml: m[0], schema: 'SiteMap.xsd' });
  }
  return docs;
}

export async function validateSolution(zip: Uint8Array, options: { schemaDir?: string; xmllint?: string } = {}): Promise<ValidationReport> {
  let pkg: SolutionPackage;
  try {
    pkg = readSolution(zip);
  } catch (err) {
    if (err instanceof SolutionFormatError) return { ok: false, problems: [err.message] };
    throw err;
  }
  const problems = [...structure(pkg), ...manifestProblems(pkg)];
  const xsd = await validateXsd(xsdDocuments(pkg), options.schemaDir, options.xmllint);
  if (xsd.ran) problems.push(...xsd.problems);
  problems.push(...lintSolution(pkg));
  return { ok: problems.length === 0, problems, version: pkg.version, ...(xsd.ran ? {} : { xsdSkipped: xsd.reason }) };
}
