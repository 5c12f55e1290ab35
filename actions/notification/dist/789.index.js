export const id=789;export const ids=[789,14];export const modules={1789:(t,e,a)=>{a.d(e,{outputs:()=>outputs,renderSummary:()=>renderSummary});var n=a(1014);function renderSummary(t,e){return new n.BD().heading(`${t.status.emoji} Notification: ${t.title}`).table(["Channel","Status","Attempts","Message id","Error"],e.channels.map(t=>[t.channel,t.ok?"✅ delivered":"❌ failed",t.attempts,t.id?.replace(/^<(.*)>$/,"$1"),t.error]))}function outputs(t){let e={};for(let a of t.channels)e[a.channel]={ok:a.ok,attempts:a.attempts,id:a.id??null};return{...t.slackTs?{"slack-ts":t.slackTs}:{},...t.slackChannel?{"slack-channel":t.slackChannel}:{},delivered:e,"failed-channels":t.failed.join(",")}}},1014:(t,e,a)=>{a.d(e,{BD:()=>s,run:()=>n.eF,runnerLogger:()=>n.hB,setOutput:()=>n.uH}),a(738),a(6415);var n=a(6976),r=a(9618);function escapeCell(t){return null==t||""===t?"—":String(t).replace(/\|/g,"\\|").replace(/\r?\n/g,"<br>")}function markdownTable(t,e){let a=[`| ${t.map(escapeCell).join(" | ")} |`,`| ${t.map(()=>"---").join(" | ")} |`,...e.map(e=>`| ${t.map((t,a)=>escapeCell(e[a])).join(" | ")} |`)];return`${a.join("\n")}
`}function markdownDetails(t,e){return`<details><summary>${t}</summary>

\`\`\`text
${e.replace(/```/g,"'''")}
\`\`\`

</details>
`}let s=class Summary{parts=[];heading(t,e=3){return this.parts.push(`${"#".repeat(e)} ${t}
`),this}text(t){return this.parts.push(`${t}
`),this}table(t,e){return this.parts.push(markdownTable(t,e)),this}details(t,e){return this.parts.push(markdownDetails(t,e)),this}toString(){return this.parts.join("\n")}async write(){process.env.GITHUB_STEP_SUMMARY&&await r.z.addRaw(this.toString(),!0).write()}}}};