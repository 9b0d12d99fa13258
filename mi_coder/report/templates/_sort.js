function sortTable(t,col){var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=t.getAttribute('data-col')!=col||t.getAttribute('data-dir')=='desc';
rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-v')||a.cells[col].textContent,y=b.cells[col].getAttribute('data-v')||b.cells[col].textContent;
var nx=parseFloat(x),ny=parseFloat(y);if(!isNaN(nx)&&!isNaN(ny)){return asc?nx-ny:ny-nx;}return asc?x.localeCompare(y):y.localeCompare(x);});
rows.forEach(function(r){tb.appendChild(r);});t.setAttribute('data-col',col);t.setAttribute('data-dir',asc?'asc':'desc');}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('table.sortable th').forEach(function(th,i){
th.addEventListener('click',function(){sortTable(th.closest('table'),i);});});});
