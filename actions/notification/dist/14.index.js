export const id=14;export const ids=[14];export const modules={1014:(t,e,r)=>{r.d(e,{BD:()=>n,run:()=>s.eF,runnerLogger:()=>s.hB,setOutput:()=>s.uH}),r(738),r(6415);var s=r(6976),a=r(9618);function escapeCell(t){return null==t||""===t?"—":String(t).replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>")}function markdownTable(t,e){let r=[`| ${t.map(escapeCell).join(" | ")} |`,`| ${t.map(()=>"---").join(" | ")} |`,...e.map(e=>`| ${t.map((t,r)=>escapeCell(e[r])).join(" | ")} |`)];return`${r.join("\n")}
`}function markdownDetails(t,e){return`<details><summary>${t}</summary>

\`\`\`text
${e.replace(/```/g,"'''")}
\`\`\`

</details>
`}let n=class Summary{parts=[];heading(t,e=3){return this.parts.push(`${"#".repeat(e)} ${t}
`),this}text(t){return this.parts.push(`${t}
`),this}table(t,e){return this.parts.push(markdownTable(t,e)),this}details(t,e){return this.parts.push(markdownDetails(t,e)),this}toString(){return this.parts.join("\n")}async write(){process.env.GITHUB_STEP_SUMMARY&&await a.z.addRaw(this.toString(),!0).write()}}}};