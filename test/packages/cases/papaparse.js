import Papa from 'papaparse';

export async function run() {
  const csv = 'name,age,city\nAda,36,"London, UK"\nBob,20,Paris\n';
  const parsed = Papa.parse(csv, { header: true, dynamicTyping: true, skipEmptyLines: true });
  return { data: parsed.data, fields: parsed.meta.fields, back: Papa.unparse(parsed.data) };
}
