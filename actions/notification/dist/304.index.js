export const id=304;export const ids=[304];export const modules={2304:(t,r,e)=>{e.d(r,{BD:()=>i,run:()=>run,runnerLogger:()=>a,setOutput:()=>setOutput});var n=e(738);e(6415);var s=e(4988);let a={debug:t=>s.Yz(t),info:t=>s.pq(t),warning:t=>s.$e(t),error:t=>s.z3(t),notice:t=>s.lm(t),group:(t,r)=>s.Os(t,r),mask:t=>mask(t)};function mask(t){if(t&&(s.Pq(t),t.includes("\n")))for(let r of t.split(/\r?\n/))r.trim().length>=4&&s.Pq(r.trim())}function setOutput(t,r){s.uH(t,"string"==typeof r?r:JSON.stringify(r))}async function run(t,r={}){try{await t()}catch(t){!(t instanceof n.yo)&&t instanceof Error&&t.stack&&s.Yz(t.stack),s.C1((0,n.gJ)(t))}(r.exit??!0)&&process.exit(process.exitCode??0)}function escapeCell(t){return null==t||""===t?"—":String(t).replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>")}function markdownTable(t,r){let e=[`| ${t.map(escapeCell).join(" | ")} |`,`| ${t.map(()=>"---").join(" | ")} |`,...r.map(r=>`| ${t.map((t,e)=>escapeCell(r[e])).join(" | ")} |`)];return`${e.join("\n")}
`}function markdownDetails(t,r){return`<details><summary>${t}</summary>

\`\`\`text
${r.replace(/```/g,"'''")}
\`\`\`

</details>
`}let i=class Summary{parts=[];heading(t,r=3){return this.parts.push(`${"#".repeat(r)} ${t}
`),this}text(t){return this.parts.push(`${t}
`),this}table(t,r){return this.parts.push(markdownTable(t,r)),this}details(t,r){return this.parts.push(markdownDetails(t,r)),this}toString(){return this.parts.join("\n")}async write(){process.env.GITHUB_STEP_SUMMARY&&await s.z.addRaw(this.toString(),!0).write()}}}};