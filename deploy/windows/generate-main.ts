/** `npm run deploy:windows`: writes the generated Windows deployment files into deploy/windows. */
import { writeGeneratedFiles } from "./generate.ts";

for (const path of writeGeneratedFiles()) process.stdout.write(`deploy/windows/${path}\n`);
