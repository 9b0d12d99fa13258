function sortTable(t,col){var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=t.getAttribute('data-col')!=col||t.getAttribute('data-dir')=='desc';
rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-v')||a.cells[col].textContent,y=b.cells[col].getAttribute('data-v')||b.cells[col].textContent;
var nx=parseFloat(x),ny=parseFloat(y);if(!isNaN(nx)&&!isNaN(ny)){return asc?nx-ny:ny-nx;}var o={numeric:true,sensitivity:'base'};return asc?x.localeCompare(y,undefined,o):y.localeCompare(x,undefined,o);});
rows.forEach(function(r){tb.appendChild(r);});t.setAttribute('data-col',col);t.setAttribute('data-dir',asc?'asc':'desc');
// the order said to screen readers on the headings (WCAG 4.1.2), not shown by an arrow alone
t.querySelectorAll('thead th').forEach(function(th,i){th.setAttribute('aria-sort',i==col?(asc?'ascending':'descending'):'none');});}
// Each heading holds a button, so the keyboard reaches it (Tab) and Enter or Space sorts (WCAG 2.1.1).
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('table.sortable thead th').forEach(function(th,i){
var b=th.querySelector('button')||th;b.addEventListener('click',function(){sortTable(th.closest('table'),i);});});});
