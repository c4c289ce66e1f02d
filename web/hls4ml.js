export async function hls4mlConfig() { throw new Error("todo"); }
