import Foundation

/// The 435 state-dict entries of lite_medsam.pth (key, shape, dtype), as listed by PyTorch
/// (`/work/shared/reference/golden/state_dict_keys.txt`), embedded so a fresh clone can test.
enum LiteMedSAMKeys {
    /// One entry per line: `key<TAB>[d0, d1, ...]<TAB>dtype`.
    static let table = """
image_encoder.patch_embed.seq.0.c.weight	[32, 3, 1, 1]	float32
image_encoder.patch_embed.seq.0.bn.weight	[32]	float32
image_encoder.patch_embed.seq.0.bn.bias	[32]	float32
image_encoder.patch_embed.seq.0.bn.running_mean	[32]	float32
image_encoder.patch_embed.seq.0.bn.running_var	[32]	float32
image_encoder.patch_embed.seq.0.bn.num_batches_tracked	[]	int64
image_encoder.patch_embed.seq.2.c.weight	[64, 32, 1, 1]	float32
image_encoder.patch_embed.seq.2.bn.weight	[64]	float32
image_encoder.patch_embed.seq.2.bn.bias	[64]	float32
image_encoder.patch_embed.seq.2.bn.running_mean	[64]	float32
image_encoder.patch_embed.seq.2.bn.running_var	[64]	float32
image_encoder.patch_embed.seq.2.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.0.conv1.c.weight	[256, 64, 1, 1]	float32
image_encoder.layers.0.blocks.0.conv1.bn.weight	[256]	float32
image_encoder.layers.0.blocks.0.conv1.bn.bias	[256]	float32
image_encoder.layers.0.blocks.0.conv1.bn.running_mean	[256]	float32
image_encoder.layers.0.blocks.0.conv1.bn.running_var	[256]	float32
image_encoder.layers.0.blocks.0.conv1.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.0.conv2.c.weight	[256, 1, 3, 3]	float32
image_encoder.layers.0.blocks.0.conv2.bn.weight	[256]	float32
image_encoder.layers.0.blocks.0.conv2.bn.bias	[256]	float32
image_encoder.layers.0.blocks.0.conv2.bn.running_mean	[256]	float32
image_encoder.layers.0.blocks.0.conv2.bn.running_var	[256]	float32
image_encoder.layers.0.blocks.0.conv2.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.0.conv3.c.weight	[64, 256, 1, 1]	float32
image_encoder.layers.0.blocks.0.conv3.bn.weight	[64]	float32
image_encoder.layers.0.blocks.0.conv3.bn.bias	[64]	float32
image_encoder.layers.0.blocks.0.conv3.bn.running_mean	[64]	float32
image_encoder.layers.0.blocks.0.conv3.bn.running_var	[64]	float32
image_encoder.layers.0.blocks.0.conv3.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.1.conv1.c.weight	[256, 64, 1, 1]	float32
image_encoder.layers.0.blocks.1.conv1.bn.weight	[256]	float32
image_encoder.layers.0.blocks.1.conv1.bn.bias	[256]	float32
image_encoder.layers.0.blocks.1.conv1.bn.running_mean	[256]	float32
image_encoder.layers.0.blocks.1.conv1.bn.running_var	[256]	float32
image_encoder.layers.0.blocks.1.conv1.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.1.conv2.c.weight	[256, 1, 3, 3]	float32
image_encoder.layers.0.blocks.1.conv2.bn.weight	[256]	float32
image_encoder.layers.0.blocks.1.conv2.bn.bias	[256]	float32
image_encoder.layers.0.blocks.1.conv2.bn.running_mean	[256]	float32
image_encoder.layers.0.blocks.1.conv2.bn.running_var	[256]	float32
image_encoder.layers.0.blocks.1.conv2.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.blocks.1.conv3.c.weight	[64, 256, 1, 1]	float32
image_encoder.layers.0.blocks.1.conv3.bn.weight	[64]	float32
image_encoder.layers.0.blocks.1.conv3.bn.bias	[64]	float32
image_encoder.layers.0.blocks.1.conv3.bn.running_mean	[64]	float32
image_encoder.layers.0.blocks.1.conv3.bn.running_var	[64]	float32
image_encoder.layers.0.blocks.1.conv3.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.downsample.conv1.c.weight	[128, 64, 1, 1]	float32
image_encoder.layers.0.downsample.conv1.bn.weight	[128]	float32
image_encoder.layers.0.downsample.conv1.bn.bias	[128]	float32
image_encoder.layers.0.downsample.conv1.bn.running_mean	[128]	float32
image_encoder.layers.0.downsample.conv1.bn.running_var	[128]	float32
image_encoder.layers.0.downsample.conv1.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.downsample.conv2.c.weight	[128, 1, 3, 3]	float32
image_encoder.layers.0.downsample.conv2.bn.weight	[128]	float32
image_encoder.layers.0.downsample.conv2.bn.bias	[128]	float32
image_encoder.layers.0.downsample.conv2.bn.running_mean	[128]	float32
image_encoder.layers.0.downsample.conv2.bn.running_var	[128]	float32
image_encoder.layers.0.downsample.conv2.bn.num_batches_tracked	[]	int64
image_encoder.layers.0.downsample.conv3.c.weight	[128, 128, 1, 1]	float32
image_encoder.layers.0.downsample.conv3.bn.weight	[128]	float32
image_encoder.layers.0.downsample.conv3.bn.bias	[128]	float32
image_encoder.layers.0.downsample.conv3.bn.running_mean	[128]	float32
image_encoder.layers.0.downsample.conv3.bn.running_var	[128]	float32
image_encoder.layers.0.downsample.conv3.bn.num_batches_tracked	[]	int64
image_encoder.layers.1.blocks.0.attn.attention_biases	[4, 49]	float32
image_encoder.layers.1.blocks.0.attn.norm.weight	[128]	float32
image_encoder.layers.1.blocks.0.attn.norm.bias	[128]	float32
image_encoder.layers.1.blocks.0.attn.qkv.weight	[384, 128]	float32
image_encoder.layers.1.blocks.0.attn.qkv.bias	[384]	float32
image_encoder.layers.1.blocks.0.attn.proj.weight	[128, 128]	float32
image_encoder.layers.1.blocks.0.attn.proj.bias	[128]	float32
image_encoder.layers.1.blocks.0.mlp.norm.weight	[128]	float32
image_encoder.layers.1.blocks.0.mlp.norm.bias	[128]	float32
image_encoder.layers.1.blocks.0.mlp.fc1.weight	[512, 128]	float32
image_encoder.layers.1.blocks.0.mlp.fc1.bias	[512]	float32
image_encoder.layers.1.blocks.0.mlp.fc2.weight	[128, 512]	float32
image_encoder.layers.1.blocks.0.mlp.fc2.bias	[128]	float32
image_encoder.layers.1.blocks.0.local_conv.c.weight	[128, 1, 3, 3]	float32
image_encoder.layers.1.blocks.0.local_conv.bn.weight	[128]	float32
image_encoder.layers.1.blocks.0.local_conv.bn.bias	[128]	float32
image_encoder.layers.1.blocks.0.local_conv.bn.running_mean	[128]	float32
image_encoder.layers.1.blocks.0.local_conv.bn.running_var	[128]	float32
image_encoder.layers.1.blocks.0.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.1.blocks.1.attn.attention_biases	[4, 49]	float32
image_encoder.layers.1.blocks.1.attn.norm.weight	[128]	float32
image_encoder.layers.1.blocks.1.attn.norm.bias	[128]	float32
image_encoder.layers.1.blocks.1.attn.qkv.weight	[384, 128]	float32
image_encoder.layers.1.blocks.1.attn.qkv.bias	[384]	float32
image_encoder.layers.1.blocks.1.attn.proj.weight	[128, 128]	float32
image_encoder.layers.1.blocks.1.attn.proj.bias	[128]	float32
image_encoder.layers.1.blocks.1.mlp.norm.weight	[128]	float32
image_encoder.layers.1.blocks.1.mlp.norm.bias	[128]	float32
image_encoder.layers.1.blocks.1.mlp.fc1.weight	[512, 128]	float32
image_encoder.layers.1.blocks.1.mlp.fc1.bias	[512]	float32
image_encoder.layers.1.blocks.1.mlp.fc2.weight	[128, 512]	float32
image_encoder.layers.1.blocks.1.mlp.fc2.bias	[128]	float32
image_encoder.layers.1.blocks.1.local_conv.c.weight	[128, 1, 3, 3]	float32
image_encoder.layers.1.blocks.1.local_conv.bn.weight	[128]	float32
image_encoder.layers.1.blocks.1.local_conv.bn.bias	[128]	float32
image_encoder.layers.1.blocks.1.local_conv.bn.running_mean	[128]	float32
image_encoder.layers.1.blocks.1.local_conv.bn.running_var	[128]	float32
image_encoder.layers.1.blocks.1.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.1.downsample.conv1.c.weight	[160, 128, 1, 1]	float32
image_encoder.layers.1.downsample.conv1.bn.weight	[160]	float32
image_encoder.layers.1.downsample.conv1.bn.bias	[160]	float32
image_encoder.layers.1.downsample.conv1.bn.running_mean	[160]	float32
image_encoder.layers.1.downsample.conv1.bn.running_var	[160]	float32
image_encoder.layers.1.downsample.conv1.bn.num_batches_tracked	[]	int64
image_encoder.layers.1.downsample.conv2.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.1.downsample.conv2.bn.weight	[160]	float32
image_encoder.layers.1.downsample.conv2.bn.bias	[160]	float32
image_encoder.layers.1.downsample.conv2.bn.running_mean	[160]	float32
image_encoder.layers.1.downsample.conv2.bn.running_var	[160]	float32
image_encoder.layers.1.downsample.conv2.bn.num_batches_tracked	[]	int64
image_encoder.layers.1.downsample.conv3.c.weight	[160, 160, 1, 1]	float32
image_encoder.layers.1.downsample.conv3.bn.weight	[160]	float32
image_encoder.layers.1.downsample.conv3.bn.bias	[160]	float32
image_encoder.layers.1.downsample.conv3.bn.running_mean	[160]	float32
image_encoder.layers.1.downsample.conv3.bn.running_var	[160]	float32
image_encoder.layers.1.downsample.conv3.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.0.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.0.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.0.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.0.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.0.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.0.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.0.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.0.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.0.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.0.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.0.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.0.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.0.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.0.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.0.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.0.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.0.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.0.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.0.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.1.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.1.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.1.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.1.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.1.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.1.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.1.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.1.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.1.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.1.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.1.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.1.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.1.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.1.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.1.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.1.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.1.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.1.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.1.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.2.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.2.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.2.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.2.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.2.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.2.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.2.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.2.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.2.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.2.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.2.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.2.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.2.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.2.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.2.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.2.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.2.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.2.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.2.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.3.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.3.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.3.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.3.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.3.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.3.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.3.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.3.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.3.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.3.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.3.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.3.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.3.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.3.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.3.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.3.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.3.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.3.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.3.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.4.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.4.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.4.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.4.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.4.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.4.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.4.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.4.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.4.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.4.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.4.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.4.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.4.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.4.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.4.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.4.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.4.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.4.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.4.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.blocks.5.attn.attention_biases	[5, 196]	float32
image_encoder.layers.2.blocks.5.attn.norm.weight	[160]	float32
image_encoder.layers.2.blocks.5.attn.norm.bias	[160]	float32
image_encoder.layers.2.blocks.5.attn.qkv.weight	[480, 160]	float32
image_encoder.layers.2.blocks.5.attn.qkv.bias	[480]	float32
image_encoder.layers.2.blocks.5.attn.proj.weight	[160, 160]	float32
image_encoder.layers.2.blocks.5.attn.proj.bias	[160]	float32
image_encoder.layers.2.blocks.5.mlp.norm.weight	[160]	float32
image_encoder.layers.2.blocks.5.mlp.norm.bias	[160]	float32
image_encoder.layers.2.blocks.5.mlp.fc1.weight	[640, 160]	float32
image_encoder.layers.2.blocks.5.mlp.fc1.bias	[640]	float32
image_encoder.layers.2.blocks.5.mlp.fc2.weight	[160, 640]	float32
image_encoder.layers.2.blocks.5.mlp.fc2.bias	[160]	float32
image_encoder.layers.2.blocks.5.local_conv.c.weight	[160, 1, 3, 3]	float32
image_encoder.layers.2.blocks.5.local_conv.bn.weight	[160]	float32
image_encoder.layers.2.blocks.5.local_conv.bn.bias	[160]	float32
image_encoder.layers.2.blocks.5.local_conv.bn.running_mean	[160]	float32
image_encoder.layers.2.blocks.5.local_conv.bn.running_var	[160]	float32
image_encoder.layers.2.blocks.5.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.downsample.conv1.c.weight	[320, 160, 1, 1]	float32
image_encoder.layers.2.downsample.conv1.bn.weight	[320]	float32
image_encoder.layers.2.downsample.conv1.bn.bias	[320]	float32
image_encoder.layers.2.downsample.conv1.bn.running_mean	[320]	float32
image_encoder.layers.2.downsample.conv1.bn.running_var	[320]	float32
image_encoder.layers.2.downsample.conv1.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.downsample.conv2.c.weight	[320, 1, 3, 3]	float32
image_encoder.layers.2.downsample.conv2.bn.weight	[320]	float32
image_encoder.layers.2.downsample.conv2.bn.bias	[320]	float32
image_encoder.layers.2.downsample.conv2.bn.running_mean	[320]	float32
image_encoder.layers.2.downsample.conv2.bn.running_var	[320]	float32
image_encoder.layers.2.downsample.conv2.bn.num_batches_tracked	[]	int64
image_encoder.layers.2.downsample.conv3.c.weight	[320, 320, 1, 1]	float32
image_encoder.layers.2.downsample.conv3.bn.weight	[320]	float32
image_encoder.layers.2.downsample.conv3.bn.bias	[320]	float32
image_encoder.layers.2.downsample.conv3.bn.running_mean	[320]	float32
image_encoder.layers.2.downsample.conv3.bn.running_var	[320]	float32
image_encoder.layers.2.downsample.conv3.bn.num_batches_tracked	[]	int64
image_encoder.layers.3.blocks.0.attn.attention_biases	[10, 49]	float32
image_encoder.layers.3.blocks.0.attn.norm.weight	[320]	float32
image_encoder.layers.3.blocks.0.attn.norm.bias	[320]	float32
image_encoder.layers.3.blocks.0.attn.qkv.weight	[960, 320]	float32
image_encoder.layers.3.blocks.0.attn.qkv.bias	[960]	float32
image_encoder.layers.3.blocks.0.attn.proj.weight	[320, 320]	float32
image_encoder.layers.3.blocks.0.attn.proj.bias	[320]	float32
image_encoder.layers.3.blocks.0.mlp.norm.weight	[320]	float32
image_encoder.layers.3.blocks.0.mlp.norm.bias	[320]	float32
image_encoder.layers.3.blocks.0.mlp.fc1.weight	[1280, 320]	float32
image_encoder.layers.3.blocks.0.mlp.fc1.bias	[1280]	float32
image_encoder.layers.3.blocks.0.mlp.fc2.weight	[320, 1280]	float32
image_encoder.layers.3.blocks.0.mlp.fc2.bias	[320]	float32
image_encoder.layers.3.blocks.0.local_conv.c.weight	[320, 1, 3, 3]	float32
image_encoder.layers.3.blocks.0.local_conv.bn.weight	[320]	float32
image_encoder.layers.3.blocks.0.local_conv.bn.bias	[320]	float32
image_encoder.layers.3.blocks.0.local_conv.bn.running_mean	[320]	float32
image_encoder.layers.3.blocks.0.local_conv.bn.running_var	[320]	float32
image_encoder.layers.3.blocks.0.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.layers.3.blocks.1.attn.attention_biases	[10, 49]	float32
image_encoder.layers.3.blocks.1.attn.norm.weight	[320]	float32
image_encoder.layers.3.blocks.1.attn.norm.bias	[320]	float32
image_encoder.layers.3.blocks.1.attn.qkv.weight	[960, 320]	float32
image_encoder.layers.3.blocks.1.attn.qkv.bias	[960]	float32
image_encoder.layers.3.blocks.1.attn.proj.weight	[320, 320]	float32
image_encoder.layers.3.blocks.1.attn.proj.bias	[320]	float32
image_encoder.layers.3.blocks.1.mlp.norm.weight	[320]	float32
image_encoder.layers.3.blocks.1.mlp.norm.bias	[320]	float32
image_encoder.layers.3.blocks.1.mlp.fc1.weight	[1280, 320]	float32
image_encoder.layers.3.blocks.1.mlp.fc1.bias	[1280]	float32
image_encoder.layers.3.blocks.1.mlp.fc2.weight	[320, 1280]	float32
image_encoder.layers.3.blocks.1.mlp.fc2.bias	[320]	float32
image_encoder.layers.3.blocks.1.local_conv.c.weight	[320, 1, 3, 3]	float32
image_encoder.layers.3.blocks.1.local_conv.bn.weight	[320]	float32
image_encoder.layers.3.blocks.1.local_conv.bn.bias	[320]	float32
image_encoder.layers.3.blocks.1.local_conv.bn.running_mean	[320]	float32
image_encoder.layers.3.blocks.1.local_conv.bn.running_var	[320]	float32
image_encoder.layers.3.blocks.1.local_conv.bn.num_batches_tracked	[]	int64
image_encoder.neck.0.weight	[256, 320, 1, 1]	float32
image_encoder.neck.1.weight	[256]	float32
image_encoder.neck.1.bias	[256]	float32
image_encoder.neck.2.weight	[256, 256, 3, 3]	float32
image_encoder.neck.3.weight	[256]	float32
image_encoder.neck.3.bias	[256]	float32
mask_decoder.transformer.layers.0.self_attn.q_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.0.self_attn.q_proj.bias	[256]	float32
mask_decoder.transformer.layers.0.self_attn.k_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.0.self_attn.k_proj.bias	[256]	float32
mask_decoder.transformer.layers.0.self_attn.v_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.0.self_attn.v_proj.bias	[256]	float32
mask_decoder.transformer.layers.0.self_attn.out_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.0.self_attn.out_proj.bias	[256]	float32
mask_decoder.transformer.layers.0.norm1.weight	[256]	float32
mask_decoder.transformer.layers.0.norm1.bias	[256]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.k_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.k_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.v_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.v_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.out_proj.weight	[256, 128]	float32
mask_decoder.transformer.layers.0.cross_attn_token_to_image.out_proj.bias	[256]	float32
mask_decoder.transformer.layers.0.norm2.weight	[256]	float32
mask_decoder.transformer.layers.0.norm2.bias	[256]	float32
mask_decoder.transformer.layers.0.mlp.lin1.weight	[2048, 256]	float32
mask_decoder.transformer.layers.0.mlp.lin1.bias	[2048]	float32
mask_decoder.transformer.layers.0.mlp.lin2.weight	[256, 2048]	float32
mask_decoder.transformer.layers.0.mlp.lin2.bias	[256]	float32
mask_decoder.transformer.layers.0.norm3.weight	[256]	float32
mask_decoder.transformer.layers.0.norm3.bias	[256]	float32
mask_decoder.transformer.layers.0.norm4.weight	[256]	float32
mask_decoder.transformer.layers.0.norm4.bias	[256]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.q_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.q_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.k_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.k_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.v_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.v_proj.bias	[128]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.out_proj.weight	[256, 128]	float32
mask_decoder.transformer.layers.0.cross_attn_image_to_token.out_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.self_attn.q_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.1.self_attn.q_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.self_attn.k_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.1.self_attn.k_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.self_attn.v_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.1.self_attn.v_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.self_attn.out_proj.weight	[256, 256]	float32
mask_decoder.transformer.layers.1.self_attn.out_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.norm1.weight	[256]	float32
mask_decoder.transformer.layers.1.norm1.bias	[256]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.q_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.q_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.k_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.k_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.v_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.v_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.out_proj.weight	[256, 128]	float32
mask_decoder.transformer.layers.1.cross_attn_token_to_image.out_proj.bias	[256]	float32
mask_decoder.transformer.layers.1.norm2.weight	[256]	float32
mask_decoder.transformer.layers.1.norm2.bias	[256]	float32
mask_decoder.transformer.layers.1.mlp.lin1.weight	[2048, 256]	float32
mask_decoder.transformer.layers.1.mlp.lin1.bias	[2048]	float32
mask_decoder.transformer.layers.1.mlp.lin2.weight	[256, 2048]	float32
mask_decoder.transformer.layers.1.mlp.lin2.bias	[256]	float32
mask_decoder.transformer.layers.1.norm3.weight	[256]	float32
mask_decoder.transformer.layers.1.norm3.bias	[256]	float32
mask_decoder.transformer.layers.1.norm4.weight	[256]	float32
mask_decoder.transformer.layers.1.norm4.bias	[256]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.q_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.q_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.k_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.k_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.v_proj.weight	[128, 256]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.v_proj.bias	[128]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.weight	[256, 128]	float32
mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.bias	[256]	float32
mask_decoder.transformer.final_attn_token_to_image.q_proj.weight	[128, 256]	float32
mask_decoder.transformer.final_attn_token_to_image.q_proj.bias	[128]	float32
mask_decoder.transformer.final_attn_token_to_image.k_proj.weight	[128, 256]	float32
mask_decoder.transformer.final_attn_token_to_image.k_proj.bias	[128]	float32
mask_decoder.transformer.final_attn_token_to_image.v_proj.weight	[128, 256]	float32
mask_decoder.transformer.final_attn_token_to_image.v_proj.bias	[128]	float32
mask_decoder.transformer.final_attn_token_to_image.out_proj.weight	[256, 128]	float32
mask_decoder.transformer.final_attn_token_to_image.out_proj.bias	[256]	float32
mask_decoder.transformer.norm_final_attn.weight	[256]	float32
mask_decoder.transformer.norm_final_attn.bias	[256]	float32
mask_decoder.iou_token.weight	[1, 256]	float32
mask_decoder.mask_tokens.weight	[4, 256]	float32
mask_decoder.output_upscaling.0.weight	[256, 64, 2, 2]	float32
mask_decoder.output_upscaling.0.bias	[64]	float32
mask_decoder.output_upscaling.1.weight	[64]	float32
mask_decoder.output_upscaling.1.bias	[64]	float32
mask_decoder.output_upscaling.3.weight	[64, 32, 2, 2]	float32
mask_decoder.output_upscaling.3.bias	[32]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.0.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.0.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.1.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.1.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.2.weight	[32, 256]	float32
mask_decoder.output_hypernetworks_mlps.0.layers.2.bias	[32]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.0.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.0.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.1.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.1.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.2.weight	[32, 256]	float32
mask_decoder.output_hypernetworks_mlps.1.layers.2.bias	[32]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.0.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.0.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.1.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.1.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.2.weight	[32, 256]	float32
mask_decoder.output_hypernetworks_mlps.2.layers.2.bias	[32]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.0.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.0.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.1.weight	[256, 256]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.1.bias	[256]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.2.weight	[32, 256]	float32
mask_decoder.output_hypernetworks_mlps.3.layers.2.bias	[32]	float32
mask_decoder.iou_prediction_head.layers.0.weight	[256, 256]	float32
mask_decoder.iou_prediction_head.layers.0.bias	[256]	float32
mask_decoder.iou_prediction_head.layers.1.weight	[256, 256]	float32
mask_decoder.iou_prediction_head.layers.1.bias	[256]	float32
mask_decoder.iou_prediction_head.layers.2.weight	[4, 256]	float32
mask_decoder.iou_prediction_head.layers.2.bias	[4]	float32
prompt_encoder.pe_layer.positional_encoding_gaussian_matrix	[2, 128]	float32
prompt_encoder.point_embeddings.0.weight	[1, 256]	float32
prompt_encoder.point_embeddings.1.weight	[1, 256]	float32
prompt_encoder.point_embeddings.2.weight	[1, 256]	float32
prompt_encoder.point_embeddings.3.weight	[1, 256]	float32
prompt_encoder.not_a_point_embed.weight	[1, 256]	float32
prompt_encoder.mask_downscaling.0.weight	[4, 1, 2, 2]	float32
prompt_encoder.mask_downscaling.0.bias	[4]	float32
prompt_encoder.mask_downscaling.1.weight	[4]	float32
prompt_encoder.mask_downscaling.1.bias	[4]	float32
prompt_encoder.mask_downscaling.3.weight	[16, 4, 2, 2]	float32
prompt_encoder.mask_downscaling.3.bias	[16]	float32
prompt_encoder.mask_downscaling.4.weight	[16]	float32
prompt_encoder.mask_downscaling.4.bias	[16]	float32
prompt_encoder.mask_downscaling.6.weight	[256, 16, 1, 1]	float32
prompt_encoder.mask_downscaling.6.bias	[256]	float32
prompt_encoder.no_mask_embed.weight	[1, 256]	float32
"""

    /// Parsed `table`: key → (shape, dtype).
    static let entries: [String: (shape: [Int], dtype: String)] = {
        var result: [String: (shape: [Int], dtype: String)] = [:]
        for line in table.split(separator: "\n") {
            let cols = line.split(separator: "\t").map(String.init)
            guard cols.count == 3 else { continue }
            let dims = cols[1].dropFirst().dropLast().split(separator: ",")
                .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            result[cols[0]] = (dims, cols[2])
        }
        return result
    }()
}
