export declare const OUTPUT: string;
export declare function generateTypes(document: unknown): Promise<string>;
export declare function loadDocument(source: string): Promise<unknown>;
