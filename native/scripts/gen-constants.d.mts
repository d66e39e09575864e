export function generate(text: string): string;
